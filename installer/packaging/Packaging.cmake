# Debian packages, made with `cpack` in a build directory (see docs/operations.md):
#   gp-agent       the daemon, gp-agentctl, the hardened unit, the default configuration, man pages
#   gp-agent-tray  the staff tray, its .desktop file and autostart entry (only when Qt 6 built it)
#   spine-mock     the Spine stand-in for test labs, its unit and an example practice registry
# The binaries' install() rules name their component next to their targets; everything else a
# package carries is installed here. Depends comes from dpkg-shlibdeps (package dpkg-dev).

set(GP_PACKAGING_DIR ${CMAKE_CURRENT_LIST_DIR})

# Man pages, compressed as Debian installs them (-n: no timestamp, so rebuilds are identical).
set(GP_MAN_PAGES gp-agent.8 gp-agentctl.8)
set(GP_MAN_OUTPUTS)
foreach(page IN LISTS GP_MAN_PAGES)
  set(output ${CMAKE_CURRENT_BINARY_DIR}/man/${page}.gz)
  add_custom_command(OUTPUT ${output}
                     COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/man
                     COMMAND gzip -9nc ${PROJECT_SOURCE_DIR}/installer/man/${page} > ${output}
                     DEPENDS ${PROJECT_SOURCE_DIR}/installer/man/${page}
                     COMMENT "Compressing man page ${page}")
  list(APPEND GP_MAN_OUTPUTS ${output})
endforeach()
add_custom_target(gp_man_pages ALL DEPENDS ${GP_MAN_OUTPUTS})

# Absolute destinations: /etc and /lib are not under the package's /usr prefix.
install(FILES ${GP_PACKAGING_DIR}/gp-agent.service DESTINATION /lib/systemd/system COMPONENT gp-agent)
install(FILES ${GP_PACKAGING_DIR}/agent.properties DESTINATION /etc/gp-agent COMPONENT gp-agent)
install(FILES ${GP_MAN_OUTPUTS} DESTINATION share/man/man8 COMPONENT gp-agent)
install(FILES ${PROJECT_SOURCE_DIR}/docs/operations.md ${PROJECT_SOURCE_DIR}/docs/configuration.md
        DESTINATION share/doc/gp-agent COMPONENT gp-agent)

install(FILES ${GP_PACKAGING_DIR}/spine-mock.service DESTINATION /lib/systemd/system COMPONENT spine-mock)
install(FILES ${GP_PACKAGING_DIR}/mock.properties ${GP_PACKAGING_DIR}/registry.json
        DESTINATION /etc/spine-mock COMPONENT spine-mock)
install(FILES ${PROJECT_SOURCE_DIR}/docs/spine-mock.md DESTINATION share/doc/spine-mock COMPONENT spine-mock)

set(GP_PACKAGE_COMPONENTS gp-agent spine-mock)
if(TARGET gp-agent-tray)
  # tray/CMakeLists.txt installs the binary in component "tray".
  install(FILES ${GP_PACKAGING_DIR}/gp-agent-tray.desktop DESTINATION share/applications COMPONENT tray)
  install(FILES ${GP_PACKAGING_DIR}/gp-agent-tray.desktop DESTINATION /etc/xdg/autostart COMPONENT tray)
  list(APPEND GP_PACKAGE_COMPONENTS tray)
endif()

# cpack installs from the build tree; without this its "preinstall" step would first build every
# target (tests, benchmarks) when the packages need only the three programs. Build, then cpack.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)

set(CPACK_GENERATOR DEB)
set(CPACK_COMPONENTS_ALL ${GP_PACKAGE_COMPONENTS})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_NAME gp-agent)
set(CPACK_PACKAGE_VENDOR "gp-agent maintainers")
# Each package's Description starts with its own summary line (CPACK_DEBIAN_<C>_DESCRIPTION);
# a project-wide summary would be put in front of all three.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")
set(CPACK_PACKAGE_CONTACT "gp-agent maintainers <maintainers@gp-agent.invalid>")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # gp-agent_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_GP-AGENT_PACKAGE_NAME gp-agent)
# adduser for postinst; the shared libraries are added by dpkg-shlibdeps.
set(CPACK_DEBIAN_GP-AGENT_PACKAGE_DEPENDS "adduser")
string(CONCAT CPACK_DEBIAN_GP-AGENT_DESCRIPTION
    "NHS Spine messaging agent for GP practices\n"
    "gp-agent sends EPS prescriptions, GP2GP records and e-Referrals to the NHS Spine durably,\n"
    "retries until they are acknowledged, and keeps a hash-chained audit trail. Includes\n"
    "gp-agentctl, a hardened systemd unit and a configuration template.")
set(CPACK_DEBIAN_GP-AGENT_PACKAGE_CONTROL_EXTRA
    ${GP_PACKAGING_DIR}/debian/gp-agent/conffiles ${GP_PACKAGING_DIR}/debian/gp-agent/postinst
    ${GP_PACKAGING_DIR}/debian/gp-agent/prerm ${GP_PACKAGING_DIR}/debian/gp-agent/postrm)

set(CPACK_DEBIAN_SPINE-MOCK_PACKAGE_NAME spine-mock)
set(CPACK_DEBIAN_SPINE-MOCK_PACKAGE_SECTION devel)
string(CONCAT CPACK_DEBIAN_SPINE-MOCK_DESCRIPTION
    "stand-in for the NHS Spine, for test labs\n"
    "spine-mock applies the Spine's EPS rules, forwards GP2GP messages as the Spine's hub,\n"
    "imitates e-RS, injects faults on request and keeps a journal of what it received.\n"
    "Not for practice servers.")
set(CPACK_DEBIAN_SPINE-MOCK_PACKAGE_CONTROL_EXTRA
    ${GP_PACKAGING_DIR}/debian/spine-mock/conffiles ${GP_PACKAGING_DIR}/debian/spine-mock/postinst
    ${GP_PACKAGING_DIR}/debian/spine-mock/prerm ${GP_PACKAGING_DIR}/debian/spine-mock/postrm)

set(CPACK_DEBIAN_TRAY_PACKAGE_NAME gp-agent-tray)
set(CPACK_DEBIAN_TRAY_PACKAGE_SECTION utils)
string(CONCAT CPACK_DEBIAN_TRAY_DESCRIPTION
    "desktop status icon for gp-agent\n"
    "Shows staff whether the practice's gp-agent is sending and whether anything needs a person.")
set(CPACK_DEBIAN_TRAY_PACKAGE_CONTROL_EXTRA ${GP_PACKAGING_DIR}/debian/gp-agent-tray/conffiles)

include(CPack)

if(GP_BUILD_TESTS)
  include(${GP_PACKAGING_DIR}/PackagingTests.cmake)
endif()
