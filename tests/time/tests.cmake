# Time: timers, itimers, alarm, timerfd, sleeps, times/getrusage and the
# vDSO. Built static with musl and glibc (helpers from
# tests/integration/tests.cmake); each runs natively and under sabot.
if(NOT COMMAND sabot_itest_build)
  return()
endif()
set(SABOT_TIME_SRC ${CMAKE_CURRENT_LIST_DIR})
set(SABOT_TIME_OUTPUTS)
foreach(f ${SABOT_ITEST_FLAVOURS})
  if(f STREQUAL "glibc-pie")
    continue()
  endif()
  foreach(p timers timerfd vdso)
    sabot_itest_build(time_${p} ${SABOT_TIME_SRC}/${p}.c ${f} -pthread)
    list(APPEND SABOT_TIME_OUTPUTS ${SABOT_ITEST_DIR}/time_${p}-${f})
  endforeach()
  set(bin ${SABOT_ITEST_DIR})
  sabot_itest_add(time.timers.${f} ${bin}/time_timers-${f} RC 0 LINE "timers: ALL OK")
  sabot_itest_add(time.timerfd.${f} ${bin}/time_timerfd-${f} RC 0 LINE "timerfd: ALL OK")
  sabot_itest_add(time.vdso.${f} ${bin}/time_vdso-${f} RC 0 LINE "vdso: ALL OK" ARGS @WORK@ 2)
  if(TARGET sabot)
    add_test(NAME integration.time.vdso_trace.${f}
      COMMAND sh ${SABOT_TIME_SRC}/vdso_trace.sh $<TARGET_FILE:sabot>
              ${bin}/time_vdso-${f} ${SABOT_ITEST_DIR}/work/time.vdso_trace.${f})
    set_tests_properties(integration.time.vdso_trace.${f} PROPERTIES TIMEOUT 60
                         LABELS "integration;sabot;time")
  endif()
endforeach()
add_custom_target(time_programs ALL DEPENDS ${SABOT_TIME_OUTPUTS})
