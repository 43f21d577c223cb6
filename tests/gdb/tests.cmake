# gdb on the Linux PAL: `break main` in an app run by sabot must stop in the
# app. gdb_target is static glibc built -O0 -g so main's frame is exact.
find_program(SABOT_GDB_GCC gcc)
set(SABOT_GDB_DIR ${CMAKE_CURRENT_BINARY_DIR}/gdb)
set(SABOT_GDB_SRC ${CMAKE_CURRENT_LIST_DIR})
set(SABOT_GDB_BIN ${SABOT_GDB_DIR}/gdb_target)
file(MAKE_DIRECTORY ${SABOT_GDB_DIR})
add_custom_command(OUTPUT ${SABOT_GDB_BIN}
  COMMAND ${SABOT_GDB_GCC} -static -no-pie -O0 -g -o ${SABOT_GDB_BIN} ${SABOT_GDB_SRC}/gdb_target.c
  DEPENDS ${SABOT_GDB_SRC}/gdb_target.c
  COMMENT "Building gdb test program"
  VERBATIM)
add_custom_target(gdb_programs ALL DEPENDS ${SABOT_GDB_BIN})

# native: gdb itself works here (ptrace allowed), so a sabot failure is sabot's.
set(SABOT_GDB_MODES native)
if(TARGET sabot)
  list(APPEND SABOT_GDB_MODES sabot)
endif()
foreach(mode ${SABOT_GDB_MODES})
  if(mode STREQUAL "sabot")
    set(runner $<TARGET_FILE:sabot>)
    set(name gdb.break_main)
  else()
    set(runner native)
    set(name gdb.native.break_main)
  endif()
  add_test(NAME ${name}
    COMMAND sh ${SABOT_GDB_SRC}/gdb_main.sh ${runner} ${CMAKE_BINARY_DIR}/sabot-gdb.py
            ${SABOT_GDB_BIN} ${SABOT_GDB_DIR}/work/${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 150 SKIP_RETURN_CODE 77 LABELS "gdb;${mode}")
endforeach()
# A backtrace from inside the libos goes on through the signal frame of a
# trapped call to the app (the PAL's restorer is __restore_rt for gdb).
if(TARGET sabot)
  add_test(NAME gdb.libos_bt
    COMMAND sh ${SABOT_GDB_SRC}/gdb_main.sh $<TARGET_FILE:sabot> ${CMAKE_BINARY_DIR}/sabot-gdb.py
            ${SABOT_GDB_BIN} ${SABOT_GDB_DIR}/work/gdb.libos_bt libos-bt)
  set_tests_properties(gdb.libos_bt PROPERTIES TIMEOUT 150 SKIP_RETURN_CODE 77 LABELS "gdb;sabot")
endif()
