# bench/run's server rows (issue 8) under sabot: each server and client pair
# runs and yields a figure in every sabot mode (tests/bench/servers.sh). Skips
# (77) without the server packages; runs alone like the apps servers.
find_program(SABOT_BENCH_BASH bash)
if(TARGET sabot AND SABOT_BENCH_BASH)
  add_test(NAME bench.servers
    COMMAND ${SABOT_BENCH_BASH} ${CMAKE_CURRENT_LIST_DIR}/servers.sh ${CMAKE_BINARY_DIR}
            ${CMAKE_CURRENT_BINARY_DIR}/bench/servers)
  set_tests_properties(bench.servers PROPERTIES TIMEOUT 600 SKIP_RETURN_CODE 77
                       RUN_SERIAL TRUE LABELS "bench;sabot")
endif()
