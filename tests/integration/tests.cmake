# Integration programs: each built static musl, static glibc and static-pie
# glibc with the system compilers (not the project's flags), then run under
# sabot with the default manifest. The "native" runs check the programs
# themselves against Linux, so a failure under sabot is the libos's.
find_program(SABOT_MUSL_GCC musl-gcc)
find_program(SABOT_GCC gcc)
set(SABOT_ITEST_DIR ${CMAKE_CURRENT_BINARY_DIR}/integration)
set(SABOT_ITEST_SRC ${CMAKE_CURRENT_LIST_DIR})
set(SABOT_ITEST_CFLAGS -O1 -g -Wall -Wextra -Wno-unused-parameter -Wno-format-truncation)
set(SABOT_ITEST_FLAVOURS)
if(SABOT_MUSL_GCC)
  list(APPEND SABOT_ITEST_FLAVOURS musl)
else()
  message(STATUS "musl-gcc not found: musl integration programs are not built")
endif()
if(SABOT_GCC)
  list(APPEND SABOT_ITEST_FLAVOURS glibc glibc-pie)
endif()
file(MAKE_DIRECTORY ${SABOT_ITEST_DIR})

# sabot_itest_build(<name> <source> <flavour> [extra flags]) -> program
# ${SABOT_ITEST_DIR}/<name>-<flavour>, added to target integration_programs.
set(SABOT_ITEST_OUTPUTS)
function(sabot_itest_build name src flavour)
  set(out ${SABOT_ITEST_DIR}/${name}-${flavour})
  if(flavour STREQUAL "musl")
    set(cc ${SABOT_MUSL_GCC} -static)
  elseif(flavour STREQUAL "glibc")
    set(cc ${SABOT_GCC} -static -no-pie)
  else()
    set(cc ${SABOT_GCC} -static-pie -fPIE)
  endif()
  add_custom_command(OUTPUT ${out}
    COMMAND ${cc} ${SABOT_ITEST_CFLAGS} ${ARGN} -I${SABOT_ITEST_SRC} -o ${out} ${src}
    DEPENDS ${src} ${SABOT_ITEST_SRC}/check.h
    COMMENT "Building test program ${name}-${flavour}"
    VERBATIM)
  set(SABOT_ITEST_OUTPUTS ${SABOT_ITEST_OUTPUTS} ${out} PARENT_SCOPE)
endfunction()

set(SABOT_ITEST_PROGRAMS fileio dirwalk mmapfile exitcode abortself regs enosys procinfo memory execchain)
foreach(p ${SABOT_ITEST_PROGRAMS})
  foreach(f ${SABOT_ITEST_FLAVOURS})
    sabot_itest_build(${p} ${SABOT_ITEST_SRC}/${p}.c ${f})
  endforeach()
endforeach()
add_custom_target(integration_programs ALL DEPENDS ${SABOT_ITEST_OUTPUTS})

# sabot_itest_add(<test-suffix> <program> RC <n> [LINE <text>]... [STDOUT <text>]
#                 ARGS <args>...): one test under sabot and one native.
function(sabot_itest_add suffix prog)
  cmake_parse_arguments(T "" "RC;STDOUT" "LINE;ARGS" ${ARGN})
  set(opts --rc ${T_RC})
  foreach(l ${T_LINE})
    list(APPEND opts --line ${l})
  endforeach()
  if(DEFINED T_STDOUT)
    list(APPEND opts --stdout ${T_STDOUT})
  endif()
  foreach(mode native sabot)
    set(name integration.${mode}.${suffix})
    if(mode STREQUAL "sabot")
      if(NOT TARGET sabot)
        continue()
      endif()
      set(runner --sabot $<TARGET_FILE:sabot>)
      set(name integration.${suffix})
    else()
      set(runner)
    endif()
    add_test(NAME ${name}
      COMMAND sh ${SABOT_ITEST_SRC}/run_prog.sh ${runner}
              --workdir ${SABOT_ITEST_DIR}/work/${name} ${opts} -- ${prog} ${T_ARGS})
    set_tests_properties(${name} PROPERTIES TIMEOUT 120 LABELS "integration;${mode}")
  endforeach()
endfunction()

foreach(f ${SABOT_ITEST_FLAVOURS})
  set(bin ${SABOT_ITEST_DIR})
  sabot_itest_add(fileio.${f} ${bin}/fileio-${f} RC 0 LINE "fileio: ALL OK" ARGS @WORK@)
  sabot_itest_add(dirwalk.${f} ${bin}/dirwalk-${f} RC 0 LINE "dirwalk: ALL OK" ARGS @WORK@)
  sabot_itest_add(mmapfile.${f} ${bin}/mmapfile-${f} RC 0 LINE "mmapfile: ALL OK"
                  ARGS @WORK@ alpha "beta gamma")
  foreach(code 0 1 42 255 259)
    math(EXPR want "${code} % 256")
    sabot_itest_add(exitcode.${code}.${f} ${bin}/exitcode-${f} RC ${want}
                    STDOUT "exitcode: exiting with ${code}" ARGS ${code})
  endforeach()
  sabot_itest_add(abort.${f} ${bin}/abortself-${f} RC 134 STDOUT "abortself: calling abort()")
  sabot_itest_add(regs.${f} ${bin}/regs-${f} RC 0 LINE "regs: ALL OK")
  sabot_itest_add(procinfo.${f} ${bin}/procinfo-${f} RC 0 LINE "procinfo: ALL OK")
  sabot_itest_add(memory.${f} ${bin}/memory-${f} RC 0 LINE "memory: ALL OK")
  sabot_itest_add(execchain.${f} ${bin}/execchain-${f} RC 0 LINE "execchain: reached stage 3"
                  LINE "execchain: ALL OK" ARGS @WORK@)
endforeach()

# --trace and the ENOSYS log (sabot only: these are sabot's own outputs).
find_program(SABOT_BUSYBOX busybox PATHS /bin /usr/bin NO_DEFAULT_PATH)
if(SABOT_BUSYBOX AND TARGET sabot AND SABOT_MUSL_GCC)
  add_test(NAME integration.trace_log
    COMMAND sh ${SABOT_ITEST_SRC}/trace_log.sh $<TARGET_FILE:sabot> ${SABOT_BUSYBOX}
            ${SABOT_ITEST_DIR}/enosys-musl ${SABOT_ITEST_DIR}/work/trace_log)
  set_tests_properties(integration.trace_log PROPERTIES TIMEOUT 60 LABELS integration)
endif()

# busybox: each command natively and under sabot, stdout and exit status
# compared exactly (see busybox_compare.sh for the list and the reasons).
find_program(SABOT_BUSYBOX busybox PATHS /bin /usr/bin NO_DEFAULT_PATH)
if(SABOT_BUSYBOX AND TARGET sabot)
  set(SABOT_BUSYBOX_CASES echo ls_root cat wc sha256sum sort find_conf env env_manifest date
      mkdir_rm cat_missing ls_missing false)
  foreach(c ${SABOT_BUSYBOX_CASES})
    add_test(NAME integration.busybox.${c}
      COMMAND sh ${SABOT_ITEST_SRC}/busybox_compare.sh $<TARGET_FILE:sabot> ${SABOT_BUSYBOX}
              ${SABOT_ITEST_DIR}/work/busybox.${c} ${c})
    set_tests_properties(integration.busybox.${c} PROPERTIES TIMEOUT 120
                         LABELS "integration;busybox")
  endforeach()
endif()
