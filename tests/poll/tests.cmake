# poll/select/epoll/eventfd/signalfd programs: built static musl, static
# glibc and static-pie glibc (as tests/integration), run natively (labels
# native: Linux is the spec) and under sabot.
if(NOT SABOT_ITEST_FLAVOURS)
  return()
endif()
set(POLL_TEST_SRC ${CMAKE_CURRENT_LIST_DIR})
set(POLL_TEST_DIR ${CMAKE_CURRENT_BINARY_DIR}/poll)
file(MAKE_DIRECTORY ${POLL_TEST_DIR})
set(POLL_TEST_PROGRAMS pollsel epoll eventfd signalfd etidle)
set(POLL_TEST_OUTPUTS)
foreach(p ${POLL_TEST_PROGRAMS})
  foreach(f ${SABOT_ITEST_FLAVOURS})
    set(out ${POLL_TEST_DIR}/${p}-${f})
    if(f STREQUAL "musl")
      set(cc ${SABOT_MUSL_GCC} -static)
    elseif(f STREQUAL "glibc")
      set(cc ${SABOT_GCC} -static -no-pie)
    else()
      set(cc ${SABOT_GCC} -static-pie -fPIE)
    endif()
    add_custom_command(OUTPUT ${out}
      COMMAND ${cc} ${SABOT_ITEST_CFLAGS} -pthread -I${POLL_TEST_SRC} -I${SABOT_ITEST_SRC}
              -o ${out} ${POLL_TEST_SRC}/${p}.c
      DEPENDS ${POLL_TEST_SRC}/${p}.c ${POLL_TEST_SRC}/ptest.h ${SABOT_ITEST_SRC}/check.h
      COMMENT "Building test program ${p}-${f}"
      VERBATIM)
    list(APPEND POLL_TEST_OUTPUTS ${out})
    foreach(mode native sabot)
      if(mode STREQUAL "sabot")
        if(NOT TARGET sabot)
          continue()
        endif()
        set(runner --sabot $<TARGET_FILE:sabot>)
        set(name poll.${p}.${f})
      else()
        set(runner)
        set(name poll.native.${p}.${f})
      endif()
      add_test(NAME ${name}
        COMMAND sh ${SABOT_ITEST_SRC}/run_prog.sh ${runner} --workdir ${POLL_TEST_DIR}/work/${name}
                --rc 0 --line "${p}: ALL OK" -- ${out} @WORK@)
      set_tests_properties(${name} PROPERTIES TIMEOUT 60 LABELS "poll;${mode}")
    endforeach()
  endforeach()
endforeach()
add_custom_target(poll_programs ALL DEPENDS ${POLL_TEST_OUTPUTS})
