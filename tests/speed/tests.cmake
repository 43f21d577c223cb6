# Speed work (fork, exec, start-up): regressions found on the way.
find_program(SABOT_SPEED_MUSL musl-gcc)
if(SABOT_SPEED_MUSL AND TARGET sabot)
  set(churn_bin ${CMAKE_CURRENT_BINARY_DIR}/churn-musl)
  add_custom_command(OUTPUT ${churn_bin}
    COMMAND ${SABOT_SPEED_MUSL} -static -O1 -pthread -o ${churn_bin} ${CMAKE_CURRENT_LIST_DIR}/churn.c
    DEPENDS ${CMAKE_CURRENT_LIST_DIR}/churn.c)
  set(forkwait_bin ${CMAKE_CURRENT_BINARY_DIR}/forkwait-musl)
  add_custom_command(OUTPUT ${forkwait_bin}
    COMMAND ${SABOT_SPEED_MUSL} -static -O1 -o ${forkwait_bin} ${CMAKE_CURRENT_LIST_DIR}/forkwait.c
    DEPENDS ${CMAKE_CURRENT_LIST_DIR}/forkwait.c)
  add_custom_target(speed_programs ALL DEPENDS ${churn_bin} ${forkwait_bin})
  # What a fast fork copies: not the runtime's shared libraries.
  add_test(NAME speed.fork_maps
    COMMAND ${CMAKE_CURRENT_LIST_DIR}/fork_maps.sh $<TARGET_FILE:sabot> ${forkwait_bin}
    WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(speed.fork_maps PROPERTIES TIMEOUT 120 LABELS speed
                       PASS_REGULAR_EXPRESSION "fork_maps: ALL OK")
  # Where a checkpoint-fork child puts its own mappings: not on the app's.
  add_test(NAME speed.checkpoint_layout
    COMMAND ${CMAKE_CURRENT_LIST_DIR}/ckpt_layout.sh $<TARGET_FILE:sabot> ${forkwait_bin}
    WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(speed.checkpoint_layout PROPERTIES TIMEOUT 120 LABELS "speed;checkpoint"
                       PASS_REGULAR_EXPRESSION "ckpt_layout: ALL OK")
  # Natively first (Linux is the spec), then under sabot, both with 256 host fds.
  add_test(NAME speed.thread_churn
    COMMAND sh -c "ulimit -n 256 && \"$1\" && \"$0\" run -- \"$1\""
            $<TARGET_FILE:sabot> ${churn_bin})
  set_tests_properties(speed.thread_churn PROPERTIES TIMEOUT 120 LABELS speed
                       PASS_REGULAR_EXPRESSION "churn: ALL OK\nchurn: ALL OK")
endif()
