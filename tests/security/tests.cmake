# Escape attempts under sabot: one static musl program (escape.c) driven by
# run_security.sh, which writes the manifests and checks the host afterwards.
find_program(SABOT_SEC_MUSL_GCC musl-gcc)
if(SABOT_SEC_MUSL_GCC)
  set(SABOT_SEC_DIR ${CMAKE_CURRENT_BINARY_DIR}/security)
  set(SABOT_SEC_SRC ${CMAKE_CURRENT_LIST_DIR})
  set(SABOT_SEC_BIN ${SABOT_SEC_DIR}/escape)
  file(MAKE_DIRECTORY ${SABOT_SEC_DIR})
  add_custom_command(OUTPUT ${SABOT_SEC_BIN}
    COMMAND ${SABOT_SEC_MUSL_GCC} -static -O1 -g -Wall -Wextra -Wno-unused-parameter
            -Wno-format-truncation -I${SABOT_SEC_SRC}/../integration
            -o ${SABOT_SEC_BIN} ${SABOT_SEC_SRC}/escape.c
    DEPENDS ${SABOT_SEC_SRC}/escape.c ${SABOT_SEC_SRC}/../integration/check.h
    COMMENT "Building security test program escape"
    VERBATIM)
  add_custom_target(security_programs ALL DEPENDS ${SABOT_SEC_BIN})
  if(TARGET sabot)
    foreach(c rofs private_tmp jail_root jail_data)
      add_test(NAME security.${c}
        COMMAND sh ${SABOT_SEC_SRC}/run_security.sh $<TARGET_FILE:sabot> ${SABOT_SEC_BIN}
                ${SABOT_SEC_DIR}/work/${c} ${c})
      set_tests_properties(security.${c} PROPERTIES TIMEOUT 120 LABELS security)
    endforeach()
  endif()
else()
  message(STATUS "musl-gcc not found: security tests are not built")
endif()
