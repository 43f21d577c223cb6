# /proc and /sys (libos/fs/procfs.c, sysfs.c, pseudo.c): one program built
# static with musl and glibc, run natively and under sabot, checking
# structure and semantics that hold on both (no host-specific values).
if(NOT COMMAND sabot_itest_build)
  return()
endif()
set(SABOT_PROCFS_OUTPUTS)
foreach(f ${SABOT_ITEST_FLAVOURS})
  if(f STREQUAL "glibc-pie")
    continue()
  endif()
  sabot_itest_build(procfs ${CMAKE_CURRENT_LIST_DIR}/procfs.c ${f} -pthread)
  list(APPEND SABOT_PROCFS_OUTPUTS ${SABOT_ITEST_DIR}/procfs-${f})
  sabot_itest_add(procfs.${f} ${SABOT_ITEST_DIR}/procfs-${f} RC 0 LINE "procfs: ALL OK"
                  ARGS @WORK@ two "three four")
endforeach()
add_custom_target(procfs_programs ALL DEPENDS ${SABOT_PROCFS_OUTPUTS})
