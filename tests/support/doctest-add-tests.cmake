# Run at build time (cmake -P) by gp_discover_doctest_run in tests/CMakeLists.txt: lists the test
# cases of TEST_EXECUTABLE that LIST_ARGS select (doctest filters such as --test-suite=...) and
# writes CTEST_FILE, which adds one ctest test per case named "LABEL: case" and hands each name to
# PROPERTIES_FUNCTION (defined by the file that includes CTEST_FILE). Unlike doctest_discover_tests,
# the filter applies to the listing, so a run can take one suite of an executable, or leave one
# out. LIST_ARGS arrives with "|" for ";".
string(REPLACE "|" ";" list_args "${LIST_ARGS}")
set(prefix "${LABEL}: ")
execute_process(
  COMMAND "${TEST_EXECUTABLE}" ${list_args} --list-test-cases --no-version=true
  OUTPUT_VARIABLE output
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --list-test-cases failed (${result}):\n${output}")
endif()

string(REPLACE ";" "\\;" output "${output}")
string(REPLACE "\n" ";" lines "${output}")
set(script "")
foreach(line IN LISTS lines)
  if(line STREQUAL "" OR line MATCHES "^=+$" OR line MATCHES "^\\[doctest\\] ")
    continue()
  endif()
  # doctest reads commas in --test-case as separators; a backslash keeps them literal.
  string(REPLACE "," "\\," filter "${line}")
  string(APPEND script "add_test([==[${prefix}${line}]==] \"${TEST_EXECUTABLE}\" [==[--test-case=${filter}]==])\n")
  string(APPEND script "${PROPERTIES_FUNCTION}([==[${prefix}${line}]==])\n")
endforeach()
file(WRITE "${CTEST_FILE}" "${script}")
