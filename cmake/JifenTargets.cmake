# Helpers so that every library, binary and test of ours gets the same flags and test wiring.

# jifen_library(NAME SOURCES ... DEPS ...)
function(jifen_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${JIFEN_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# jifen_binary(NAME SOURCES ... DEPS ...)
function(jifen_binary name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${JIFEN_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

# jifen_test(NAME SOURCES ... DEPS ... LABEL unit|integration|e2e)
# Integration and e2e tests require the shared MariaDB + Redis fixture (tests/CMakeLists.txt).
function(jifen_test name)
  cmake_parse_arguments(ARG "" "LABEL" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${JIFEN_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS ${ARG_LABEL} TIMEOUT 600)
  if(NOT ARG_LABEL STREQUAL "unit")
    set_tests_properties(${name} PROPERTIES
      FIXTURES_REQUIRED jifen_servers
      ENVIRONMENT "JIFEN_TESTENV=${PROJECT_BINARY_DIR}/testenv/env;JIFEN_SOURCE_DIR=${PROJECT_SOURCE_DIR};JIFEN_BINARY_DIR=${PROJECT_BINARY_DIR}")
  else()
    set_tests_properties(${name} PROPERTIES
      ENVIRONMENT "JIFEN_SOURCE_DIR=${PROJECT_SOURCE_DIR};JIFEN_BINARY_DIR=${PROJECT_BINARY_DIR}")
  endif()
endfunction()
