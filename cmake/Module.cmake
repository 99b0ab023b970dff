# etcdrestore_module(NAME SOURCES ... DEPS ...)
# One static library per shared/ module, named shared_<NAME>, linked to the listed DEPS.
# Linking is transitive, so the compiler would accept an include of any module below; the
# ctest lint.layering (tests/lint/check_layering.py) fails when a file includes a shared/
# header of a module that is not its own or among its DEPS (see README "Architecture").
function(etcdrestore_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(shared_${name} STATIC ${M_SOURCES})
  target_include_directories(shared_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(shared_${name} PUBLIC ${M_DEPS} PRIVATE etcdrestore_warnings)
endfunction()

# etcdrestore_unit_test(NAME SOURCES ... DEPS ...): one gtest binary per module,
# registered with ctest through gtest_discover_tests.
function(etcdrestore_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name}_test ${T_SOURCES})
  target_link_libraries(${name}_test PRIVATE ${T_DEPS} GTest::gtest GTest::gmock GTest::gtest_main etcdrestore_warnings)
  target_compile_definitions(${name}_test PRIVATE
    ETCDRESTORE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    ETCDRESTORE_REFERENCE_DIR="${PROJECT_SOURCE_DIR}/../shared")
  gtest_discover_tests(${name}_test DISCOVERY_TIMEOUT 60)
endfunction()
