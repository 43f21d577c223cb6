# Host signals sent to sabot reach the program (handlers and default actions).
find_program(SABOT_HS_MUSL musl-gcc)
if(SABOT_HS_MUSL AND TARGET sabot)
  set(hs_bin ${CMAKE_CURRENT_BINARY_DIR}/hostsig-musl)
  add_custom_command(OUTPUT ${hs_bin}
    COMMAND ${SABOT_HS_MUSL} -static -O1 -o ${hs_bin} ${CMAKE_CURRENT_LIST_DIR}/hostsig.c
    DEPENDS ${CMAKE_CURRENT_LIST_DIR}/hostsig.c)
  add_custom_target(hostsig_program ALL DEPENDS ${hs_bin})
  add_test(NAME signals.host
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/hostsig.sh $<TARGET_FILE:sabot> ${hs_bin}
            ${CMAKE_CURRENT_BINARY_DIR}/work/hostsig)
  set_tests_properties(signals.host PROPERTIES TIMEOUT 60 LABELS signals)
endif()
