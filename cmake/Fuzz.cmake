# -DETCDRESTORE_FUZZ=ON (a separate build dir, clang >= 16: clang 14/15 lack the C++20
# conditionally trivial destructors that libstdc++'s std::expected needs).
# Everything (shared/ libraries, unit tests, harnesses) is built with ASan + UBSan
# (-fno-sanitize-recover: any report aborts) and libFuzzer's coverage instrumentation;
# only the harnesses in tests/fuzz link the libFuzzer driver. The same build dir runs the
# unit tests under the sanitizers in CI (scripts/test.sh). Harnesses: tests/fuzz/README.md.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR CMAKE_CXX_COMPILER_VERSION VERSION_LESS 16)
  message(FATAL_ERROR "ETCDRESTORE_FUZZ needs clang >= 16 (libFuzzer, std::expected); "
                      "configure with -DCMAKE_CXX_COMPILER=clang++-19")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                    -fno-omit-frame-pointer -gline-tables-only)
add_link_options(-fsanitize=address,undefined)
