# Lazy syscall rewrite (pal/linux/rewrite.c): the hard cases, built static
# (musl, glibc, static-pie glibc), each run natively (the sites stay
# `syscall`) and under sabot (the sites must read `call *%rax` afterwards).
# -DSABOT_REWRITE=OFF builds sabot with the rewrite off by default: then the
# sabot runs expect plain sites, and the whole suite runs on SUD alone.
set(SABOT_RW_DIR ${CMAKE_CURRENT_BINARY_DIR}/rewrite)
set(SABOT_RW_SRC ${CMAKE_CURRENT_LIST_DIR})
file(MAKE_DIRECTORY ${SABOT_RW_DIR})
find_program(SABOT_RW_MUSL_GCC musl-gcc)
find_program(SABOT_RW_GCC gcc)
set(SABOT_RW_FLAVOURS)
if(SABOT_RW_MUSL_GCC)
  list(APPEND SABOT_RW_FLAVOURS musl)
endif()
if(SABOT_RW_GCC)
  list(APPEND SABOT_RW_FLAVOURS glibc glibc-pie)
endif()
set(SABOT_RW_OUTPUTS)
foreach(f ${SABOT_RW_FLAVOURS})
  set(out ${SABOT_RW_DIR}/rewrite-${f})
  if(f STREQUAL "musl")
    set(cc ${SABOT_RW_MUSL_GCC} -static)
  elseif(f STREQUAL "glibc")
    set(cc ${SABOT_RW_GCC} -static -no-pie)
  else()
    set(cc ${SABOT_RW_GCC} -static-pie -fPIE)
  endif()
  add_custom_command(OUTPUT ${out}
    COMMAND ${cc} -O1 -g -Wall -Wextra -Wno-unused-parameter -o ${out}
            ${SABOT_RW_SRC}/rewrite.c -lpthread
    DEPENDS ${SABOT_RW_SRC}/rewrite.c
    COMMENT "Building rewrite test program rewrite-${f}"
    VERBATIM)
  list(APPEND SABOT_RW_OUTPUTS ${out})
endforeach()
add_custom_target(rewrite_programs ALL DEPENDS ${SABOT_RW_OUTPUTS})

if(SABOT_REWRITE OR NOT DEFINED SABOT_REWRITE)
  set(SABOT_RW_SITE rewritten)
else()
  set(SABOT_RW_SITE syscall)
endif()
# nullcall: a call through NULL that is not `call *%rax` must still be
# SIGSEGV at 0 (an instruction fetch outside app memory is the app's fault).
foreach(f ${SABOT_RW_FLAVOURS})
  foreach(t threads signals remap fork exec nullcall)
    set(prog ${SABOT_RW_DIR}/rewrite-${f})
    add_test(NAME rewrite.native.${t}.${f}
      COMMAND sh ${SABOT_RW_SRC}/run.sh --workdir ${SABOT_RW_DIR}/work/native.${t}.${f}
              --expect-site syscall -- ${prog} ${t})
    set_tests_properties(rewrite.native.${t}.${f} PROPERTIES TIMEOUT 120 LABELS "rewrite;native")
    if(TARGET sabot)
      add_test(NAME rewrite.${t}.${f}
        COMMAND sh ${SABOT_RW_SRC}/run.sh --sabot $<TARGET_FILE:sabot>
                --workdir ${SABOT_RW_DIR}/work/${t}.${f} --expect-site ${SABOT_RW_SITE}
                -- ${prog} ${t})
      set_tests_properties(rewrite.${t}.${f} PROPERTIES TIMEOUT 120 LABELS "rewrite;sabot")
    endif()
  endforeach()
  # pal.syscall_rewrite = false: every site stays a trapping syscall.
  if(TARGET sabot)
    add_test(NAME rewrite.manifest_off.${f}
      COMMAND sh ${SABOT_RW_SRC}/run.sh --sabot $<TARGET_FILE:sabot> --manifest-off
              --workdir ${SABOT_RW_DIR}/work/manifest_off.${f} --expect-site syscall
              -- ${SABOT_RW_DIR}/rewrite-${f} threads)
    set_tests_properties(rewrite.manifest_off.${f} PROPERTIES TIMEOUT 120 LABELS "rewrite;sabot")
  endif()
endforeach()

# sabot-cc (runtime/sabot-cc): programs with no trapping syscall at all.
if(TARGET sabot AND SABOT_RW_MUSL_GCC)
  add_test(NAME rewrite.sabot_cc
    COMMAND sh ${SABOT_RW_SRC}/sabot_cc.sh ${CMAKE_BINARY_DIR}/runtime/sabot-cc
            $<TARGET_FILE:sabot> ${SABOT_RW_DIR}/work/sabot_cc)
  set_tests_properties(rewrite.sabot_cc PROPERTIES TIMEOUT 120 LABELS "rewrite;sabot")
endif()
