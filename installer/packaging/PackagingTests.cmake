# ctest -L packaging: the Debian packages are built once (a fixture running cpack twice, the
# second time with a higher version for the upgrade test), then checked by installer/packaging/
# test-packages.sh (no installation) and test-install.sh (dpkg --root into a throwaway root: needs
# root, reported skipped elsewhere).
set(GP_PACKAGES_DIR ${CMAKE_BINARY_DIR}/packaging-test)

function(gp_add_packaging_test name script step)
  add_test(NAME "packaging: ${name}"
           COMMAND ${GP_PACKAGING_DIR}/${script} ${step} ${CMAKE_BINARY_DIR} ${GP_PACKAGES_DIR}
                   ${PROJECT_VERSION})
  set_tests_properties("packaging: ${name}" PROPERTIES LABELS packaging SKIP_RETURN_CODE 77
                                                       TIMEOUT 120 ${ARGN})
endfunction()

gp_add_packaging_test("build the packages with cpack" test-packages.sh build
                      FIXTURES_SETUP gp_packages)
gp_add_packaging_test("contents, modes, conffiles and Depends" test-packages.sh contents
                      FIXTURES_REQUIRED gp_packages)
gp_add_packaging_test("units pass systemd-analyze verify and security" test-packages.sh units
                      FIXTURES_REQUIRED gp_packages)
gp_add_packaging_test("the configuration template, filled in, starts the agent on mutual TLS"
                      test-packages.sh template FIXTURES_REQUIRED gp_packages)
gp_add_packaging_test("install, reinstall, remove and purge in a throwaway root"
                      test-install.sh lifecycle FIXTURES_REQUIRED gp_packages)
gp_add_packaging_test("maintainer scripts with adduser, in a private mount namespace"
                      test-install.sh scripts FIXTURES_REQUIRED gp_packages)
gp_add_packaging_test("a message queued before an upgrade is acked by the upgraded agent"
                      test-install.sh deliver FIXTURES_REQUIRED gp_packages)
