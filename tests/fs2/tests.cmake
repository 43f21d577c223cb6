# File calls of issue 4 (statfs, fallocate, chown, memfd, copies, locks,
# inotify...): built static musl, static glibc and static-pie glibc, run
# natively (labels native: Linux is the spec) and under sabot.
# tests/*/tests.cmake are included in name order: this file comes before
# integration/, which sets the flavours, so the work runs at the end.
function(fs2_add_tests)
  if(NOT SABOT_ITEST_FLAVOURS)
    return()
  endif()
  set(FS2_TEST_SRC ${SABOT_ROOT}/tests/fs2)
  set(FS2_TEST_DIR ${CMAKE_CURRENT_BINARY_DIR}/fs2)
  file(MAKE_DIRECTORY ${FS2_TEST_DIR})
  set(FS2_TEST_PROGRAMS fs2 locks inotify)
  set(FS2_TEST_OUTPUTS)
  foreach(p ${FS2_TEST_PROGRAMS})
    foreach(f ${SABOT_ITEST_FLAVOURS})
      set(out ${FS2_TEST_DIR}/${p}-${f})
      if(f STREQUAL "musl")
        set(cc ${SABOT_MUSL_GCC} -static)
      elseif(f STREQUAL "glibc")
        set(cc ${SABOT_GCC} -static -no-pie)
      else()
        set(cc ${SABOT_GCC} -static-pie -fPIE)
      endif()
      add_custom_command(OUTPUT ${out}
        COMMAND ${cc} ${SABOT_ITEST_CFLAGS} -pthread -I${FS2_TEST_SRC} -I${SABOT_ITEST_SRC}/../poll -I${SABOT_ITEST_SRC}
                -o ${out} ${FS2_TEST_SRC}/${p}.c
        DEPENDS ${FS2_TEST_SRC}/${p}.c ${SABOT_ITEST_SRC}/../poll/ptest.h ${SABOT_ITEST_SRC}/check.h
        COMMENT "Building test program ${p}-${f}"
        VERBATIM)
      list(APPEND FS2_TEST_OUTPUTS ${out})
      foreach(mode native sabot)
        if(mode STREQUAL "sabot")
          if(NOT TARGET sabot)
            continue()
          endif()
          set(runner --sabot $<TARGET_FILE:sabot>)
          set(name fs2.${p}.${f})
        else()
          set(runner)
          set(name fs2.native.${p}.${f})
        endif()
        add_test(NAME ${name}
          COMMAND sh ${SABOT_ITEST_SRC}/run_prog.sh ${runner} --workdir ${FS2_TEST_DIR}/work/${name}
                  --rc 0 --line "${p}: ALL OK" -- ${out} @WORK@)
        set_tests_properties(${name} PROPERTIES TIMEOUT 60 LABELS "fs2;${mode}")
      endforeach()
    endforeach()
  endforeach()
  add_custom_target(fs2_programs ALL DEPENDS ${FS2_TEST_OUTPUTS})
endfunction()
cmake_language(DEFER CALL fs2_add_tests)
