# Issue 4: Debian's own dynamically linked programs (python3, sqlite3, lua5.4,
# redis-server, nginx-light) run unmodified under sabot, with real clients
# (redis-cli, redis-benchmark, curl, wrk) outside. Each test skips (exit 77)
# when a package is missing: `make deps` installs them.
#   apps.<name>         under sabot (python/sqlite3/lua: stdout compared with
#                       a native run inside the same test)
#   apps.native.<name>  the servers natively: checks the test against Linux
find_program(SABOT_APPS_BASH bash)
if(TARGET sabot AND SABOT_APPS_BASH)
  set(SABOT_APPS_SRC ${CMAKE_CURRENT_LIST_DIR})
  set(SABOT_APPS_WORK ${CMAKE_CURRENT_BINARY_DIR}/apps/work)
  set(SABOT_APPS_SABOT $<TARGET_FILE:sabot>)

  # sabot_apps_compare(<name> <timeout> compare.sh-args...)
  function(sabot_apps_compare name timeout)
    add_test(NAME apps.${name}
      COMMAND ${SABOT_APPS_BASH} ${SABOT_APPS_SRC}/compare.sh ${SABOT_APPS_SABOT}
              ${SABOT_APPS_WORK}/${name} ${ARGN})
    set_tests_properties(apps.${name} PROPERTIES TIMEOUT ${timeout} SKIP_RETURN_CODE 77
                         LABELS "apps;sabot")
  endfunction()

  sabot_apps_compare(python.imports 120 --line ok -- /usr/bin/python3 -c
    "import json, sqlite3, hashlib, ssl, threading, socket, zlib$<SEMICOLON> print('ok')")
  sabot_apps_compare(python.threads 300 --copy ${SABOT_APPS_SRC}/threads.py --line ok
    -- /usr/bin/python3 threads.py)
  sabot_apps_compare(sqlite3 300 --setup "sh ${SABOT_APPS_SRC}/sqlite_gen.sh 100000 >load.sql"
    --line ok --line "100000|4995407872|0|99968|492.7037|49270372.0"
    -- /usr/bin/sqlite3 -bail test.db ".read load.sql")
  sabot_apps_compare(lua 120 --copy ${SABOT_APPS_SRC}/script.lua --line ok
    -- /usr/bin/lua5.4 script.lua)

  add_test(NAME apps.examples
    COMMAND ${SABOT_APPS_BASH} ${SABOT_APPS_SRC}/examples.sh ${SABOT_APPS_SABOT}
            ${SABOT_APPS_WORK}/examples)
  set_tests_properties(apps.examples PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77
                       LABELS "apps;sabot")

  # The servers: sabot and native each; they use fixed-length load phases,
  # so they run alone to keep their numbers and the timing tests honest.
  foreach(mode sabot native)
    if(mode STREQUAL "native")
      set(pre apps.native.)
      set(flag --native)
    else()
      set(pre apps.)
      set(flag)
    endif()
    add_test(NAME ${pre}redis
      COMMAND ${SABOT_APPS_BASH} ${SABOT_APPS_SRC}/redis.sh ${flag} ${SABOT_APPS_SABOT}
              ${SABOT_APPS_WORK}/${pre}redis 20000)
    set_tests_properties(${pre}redis PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
                         RUN_SERIAL TRUE LABELS "apps;${mode}")
    foreach(m single master)
      add_test(NAME ${pre}nginx.${m}
        COMMAND ${SABOT_APPS_BASH} ${SABOT_APPS_SRC}/nginx.sh ${flag} ${SABOT_APPS_SABOT}
                ${SABOT_APPS_WORK}/${pre}nginx.${m} ${m})
      set_tests_properties(${pre}nginx.${m} PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77
                           RUN_SERIAL TRUE LABELS "apps;${mode}")
    endforeach()
  endforeach()
endif()
