# Speed work (fork, exec, start-up): regressions found on the way.
find_program(SABOT_SPEED_MUSL musl-gcc)
if(SABOT_SPEED_MUSL AND TARGET sabot)
  set(churn_bin ${CMAKE_CURRENT_BINARY_DIR}/churn-musl)
  add_custom_command(OUTPUT ${churn_bin}
    COMMAND ${SABOT_SPEED_MUSL} -static -O1 -pthread -o ${churn_bin} ${CMAKE_CURRENT_LIST_DIR}/churn.c
    DEPENDS ${CMAKE_CURRENT_LIST_DIR}/churn.c)
  add_custom_target(speed_programs ALL DEPENDS ${churn_bin})
  # Natively first (Linux is the spec), then under sabot, both with 256 host fds.
  add_test(NAME speed.thread_churn
    COMMAND sh -c "ulimit -n 256 && \"$1\" && \"$0\" run -- \"$1\""
            $<TARGET_FILE:sabot> ${churn_bin})
  set_tests_properties(speed.thread_churn PROPERTIES TIMEOUT 120 LABELS speed
                       PASS_REGULAR_EXPRESSION "churn: ALL OK\nchurn: ALL OK")
endif()
