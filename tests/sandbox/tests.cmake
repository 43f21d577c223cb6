# The Linux PAL sandbox (Landlock + seccomp) against a static program that
# calls the PAL's syscall stub directly or issues raw syscalls
# (pal_jump.c), driven by run_sandbox.sh.
find_program(SABOT_SANDBOX_MUSL_GCC musl-gcc)
if(SABOT_SANDBOX_MUSL_GCC AND TARGET sabot)
  set(SABOT_SANDBOX_DIR ${CMAKE_CURRENT_BINARY_DIR}/sandbox)
  set(SABOT_SANDBOX_SRC ${CMAKE_CURRENT_LIST_DIR})
  set(SABOT_SANDBOX_BIN ${SABOT_SANDBOX_DIR}/pal_jump)
  file(MAKE_DIRECTORY ${SABOT_SANDBOX_DIR})
  add_custom_command(OUTPUT ${SABOT_SANDBOX_BIN}
    COMMAND ${SABOT_SANDBOX_MUSL_GCC} -static -O1 -g -Wall -Wextra -o ${SABOT_SANDBOX_BIN}
            ${SABOT_SANDBOX_SRC}/pal_jump.c
    DEPENDS ${SABOT_SANDBOX_SRC}/pal_jump.c
    COMMENT "Building sandbox test program pal_jump"
    VERBATIM)
  add_custom_target(sandbox_programs ALL DEPENDS ${SABOT_SANDBOX_BIN})
  foreach(g landlock_fs landlock_net scope seccomp ip_filter refuse insecure)
    add_test(NAME sandbox.${g}
      COMMAND sh ${SABOT_SANDBOX_SRC}/run_sandbox.sh $<TARGET_FILE:sabot> ${SABOT_SANDBOX_BIN}
              ${SABOT_SANDBOX_DIR}/work/${g} ${g})
    set_tests_properties(sandbox.${g} PROPERTIES TIMEOUT 120 LABELS sandbox)
  endforeach()
else()
  message(STATUS "musl-gcc not found: sandbox tests are not built")
endif()
