# ctest -L packaging: the Debian packages are built once (a fixture running cpack twice, the
# second time with a higher version for the upgrade test), then checked by installer/packaging/
# test-packages.sh. The install tests need root (dpkg --root); elsewhere they report skipped.
set(GP_PACKAGES_DIR ${CMAKE_BINARY_DIR}/packaging-test)
set(GP_PACKAGING_TEST ${GP_PACKAGING_DIR}/test-packages.sh)

function(gp_add_packaging_test name step)
  add_test(NAME "packaging: ${name}"
           COMMAND ${GP_PACKAGING_TEST} ${step} ${CMAKE_BINARY_DIR} ${GP_PACKAGES_DIR}
                   ${PROJECT_VERSION})
  set_tests_properties("packaging: ${name}" PROPERTIES LABELS packaging SKIP_RETURN_CODE 77
                                                       TIMEOUT 120 ${ARGN})
endfunction()

gp_add_packaging_test("build the packages with cpack" build FIXTURES_SETUP gp_packages)
gp_add_packaging_test("contents, modes, conffiles and Depends" contents FIXTURES_REQUIRED gp_packages)
gp_add_packaging_test("units pass systemd-analyze verify and security" units
                      FIXTURES_REQUIRED gp_packages)
gp_add_packaging_test("install, upgrade, remove and purge in a throwaway root" lifecycle
                      FIXTURES_REQUIRED gp_packages)
gp_add_packaging_test("the installed agent gets a message acked by the installed spine-mock" deliver
                      FIXTURES_REQUIRED gp_packages)
