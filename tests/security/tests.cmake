# Escape attempts under sabot: two static musl programs (escape.c: file and
# network operations; attack.c: memory, JIT code, ptrace, limits) driven by
# run_security.sh, which writes the manifests, cross-checks the file cases
# natively in an equivalent chroot, and checks the host afterwards.
find_program(SABOT_SEC_MUSL_GCC musl-gcc)
if(SABOT_SEC_MUSL_GCC)
  set(SABOT_SEC_DIR ${CMAKE_CURRENT_BINARY_DIR}/security)
  set(SABOT_SEC_SRC ${CMAKE_CURRENT_LIST_DIR})
  file(MAKE_DIRECTORY ${SABOT_SEC_DIR})
  foreach(p escape attack)
    add_custom_command(OUTPUT ${SABOT_SEC_DIR}/${p}
      COMMAND ${SABOT_SEC_MUSL_GCC} -static -O1 -g -Wall -Wextra -Wno-unused-parameter
              -Wno-format-truncation -o ${SABOT_SEC_DIR}/${p} ${SABOT_SEC_SRC}/${p}.c
      DEPENDS ${SABOT_SEC_SRC}/${p}.c ${SABOT_SEC_SRC}/sec.h
      COMMENT "Building security test program ${p}"
      VERBATIM)
  endforeach()
  add_custom_target(security_programs ALL
    DEPENDS ${SABOT_SEC_DIR}/escape ${SABOT_SEC_DIR}/attack)
  if(TARGET sabot)
    set(SABOT_SEC_CASES
      # file system: .., symlinks, /proc magic links, dirfds, links, mounts
      rofs private_tmp jail_root jail_data dotdot symlinks proc_root proc_cwd proc_fd
      openat_dirfd openat2 hardlinks rename_mounts ro_mount hidden_file shadowed_file
      # memory of the libos and the PAL
      mem_mprotect mem_mmap mem_munmap mem_mremap mem_args proc_mem
      # raw syscalls from code the program wrote
      jit_rwx jit_wx jit_alias jit_stack
      # other processes, personality, network policy
      ptrace process_vm personality kill_host net_connect net_bind
      # the manifest's [sys] limits
      forkbomb fd_limit memory_limit)
    foreach(c ${SABOT_SEC_CASES})
      add_test(NAME security.${c}
        COMMAND sh ${SABOT_SEC_SRC}/run_security.sh $<TARGET_FILE:sabot> ${SABOT_SEC_DIR}/escape
                ${SABOT_SEC_DIR}/work/${c} ${c} ${SABOT_SEC_DIR}/attack)
      set_tests_properties(security.${c} PROPERTIES TIMEOUT 120 LABELS security)
    endforeach()
  endif()
else()
  message(STATUS "musl-gcc not found: security tests are not built")
endif()
