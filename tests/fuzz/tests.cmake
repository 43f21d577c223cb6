# libFuzzer targets (SABOT_FUZZ=ON, clang only). fuzz_manifest also runs as a
# regression test over its seed corpus: the example manifests and the
# committed inputs in corpus_manifest/ (add crashers there once fixed).
#   cmake -DCMAKE_C_COMPILER=clang -DSABOT_FUZZ=ON ... && make fuzz_manifest
#   mkdir -p /tmp/corpus && ./tests/fuzz_manifest /tmp/corpus \
#       <src>/tests/fuzz/corpus_manifest <src>/manifests \
#       -dict=<src>/tests/fuzz/toml.dict -max_total_time=120
if(SABOT_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(WARNING "SABOT_FUZZ needs clang (configure with -DCMAKE_C_COMPILER=clang)")
  else()
    set(FUZZ_FLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1)
    add_executable(fuzz_manifest ${CMAKE_CURRENT_LIST_DIR}/fuzz_manifest.c
                   ${SABOT_ROOT}/libos/manifest/toml.c
                   ${SABOT_ROOT}/libos/manifest/manifest.c
                   ${SABOT_ROOT}/libos/lib/fmt.c
                   ${SABOT_ROOT}/libos/lib/strutil.c
                   ${SABOT_ROOT}/runtime/libos_hosted.c)
    target_include_directories(fuzz_manifest PRIVATE ${LIBOS_INCLUDE} ${PAL_INCLUDE})
    target_compile_options(fuzz_manifest PRIVATE ${FUZZ_FLAGS})
    target_link_options(fuzz_manifest PRIVATE ${FUZZ_FLAGS})
    add_test(NAME fuzz_manifest_corpus
             COMMAND fuzz_manifest -runs=0 ${CMAKE_CURRENT_LIST_DIR}/corpus_manifest
                     ${SABOT_ROOT}/manifests)
  endif()
endif()
