# One-line declaration of a stage library, after Abseil's absl_cc_library:
#
#   mimicry_cc_library(NAME io DEPS opencv_videoio)
#
# builds libs/<NAME>/src/*.cpp into mimicry::<NAME> with public headers in
# libs/<NAME>/include (included as <mimicry/<NAME>/x.h>). Every stage links mimicry::core
# and only what DEPS lists (PRIVATE_DEPS stay out of its public interface). Tests are
# libs/<NAME>/test/*_test.cpp (GoogleTest, registered with CTest, labelled with the
# stage); benchmarks are libs/<NAME>/bench/*.cpp (Google Benchmark, not run by CTest).
function(mimicry_cc_library)
  cmake_parse_arguments(L "" "NAME" "DEPS;PRIVATE_DEPS;TEST_DEPS" ${ARGN})
  set(dir ${CMAKE_CURRENT_SOURCE_DIR})
  file(GLOB srcs CONFIGURE_DEPENDS ${dir}/src/*.cpp)
  add_library(mimicry_${L_NAME} STATIC ${srcs})
  add_library(mimicry::${L_NAME} ALIAS mimicry_${L_NAME})
  target_include_directories(mimicry_${L_NAME} PUBLIC ${dir}/include PRIVATE ${dir}/src)
  if(NOT L_NAME STREQUAL "core")
    target_link_libraries(mimicry_${L_NAME} PUBLIC mimicry::core)
  endif()
  target_link_libraries(mimicry_${L_NAME} PUBLIC ${L_DEPS} PRIVATE ${L_PRIVATE_DEPS})
  target_compile_definitions(mimicry_${L_NAME} PRIVATE
    MIMICRY_VERSION="${PROJECT_VERSION}")

  file(GLOB tests CONFIGURE_DEPENDS ${dir}/test/*_test.cpp)
  if(tests)
    add_executable(${L_NAME}_test ${tests})
    target_link_libraries(${L_NAME}_test PRIVATE mimicry::${L_NAME} ${L_TEST_DEPS}
                          GTest::gtest GTest::gtest_main)
    target_compile_definitions(${L_NAME}_test PRIVATE
      MIMICRY_SHARED_DIR="${MIMICRY_SHARED_DIR}"
      MIMICRY_MODELS_DIR="${MIMICRY_MODELS_DIR}"
      MIMICRY_ASSETS_DIR="${MIMICRY_ASSETS_DIR}"
      MIMICRY_BIN_DIR="${CMAKE_RUNTIME_OUTPUT_DIRECTORY}")
    gtest_discover_tests(${L_NAME}_test PROPERTIES LABELS ${L_NAME} DISCOVERY_TIMEOUT 60)
  endif()

  file(GLOB benches CONFIGURE_DEPENDS ${dir}/bench/*.cpp)
  if(benches)
    add_executable(${L_NAME}_bench ${benches})
    target_link_libraries(${L_NAME}_bench PRIVATE mimicry::${L_NAME} ${L_TEST_DEPS} benchmark::benchmark)
    target_compile_definitions(${L_NAME}_bench PRIVATE
      MIMICRY_SHARED_DIR="${MIMICRY_SHARED_DIR}"
      MIMICRY_MODELS_DIR="${MIMICRY_MODELS_DIR}"
      MIMICRY_ASSETS_DIR="${MIMICRY_ASSETS_DIR}")
  endif()
endfunction()
