# Processes: shells with pipelines, subshells, jobs and traps; python3
# subprocess and fork (each compared with a native run).
find_program(SABOT_PROC_BUSYBOX busybox PATHS /bin /usr/bin NO_DEFAULT_PATH)
if(SABOT_PROC_BUSYBOX AND TARGET sabot)
  add_test(NAME proc.shell.jobs
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/shell_compare.sh $<TARGET_FILE:sabot>
            ${SABOT_PROC_BUSYBOX} ${CMAKE_CURRENT_LIST_DIR}/jobs.sh
            ${CMAKE_CURRENT_BINARY_DIR}/work/proc.shell.jobs)
  set_tests_properties(proc.shell.jobs PROPERTIES TIMEOUT 60 LABELS proc)
  # The same script with every fork made by checkpoint/restore.
  add_test(NAME proc.shell.jobs.checkpoint
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/shell_compare.sh $<TARGET_FILE:sabot>
            ${SABOT_PROC_BUSYBOX} ${CMAKE_CURRENT_LIST_DIR}/jobs.sh
            ${CMAKE_CURRENT_BINARY_DIR}/work/proc.shell.jobs.checkpoint checkpoint)
  set_tests_properties(proc.shell.jobs.checkpoint PROPERTIES TIMEOUT 90 LABELS "proc;checkpoint")
  # The first process's end ends the sandbox's others (a pid namespace).
  foreach(mode fast checkpoint)
    add_test(NAME proc.pidns.${mode}
      COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/pidns.sh $<TARGET_FILE:sabot> ${SABOT_PROC_BUSYBOX} ${mode})
    set_tests_properties(proc.pidns.${mode} PROPERTIES TIMEOUT 60 LABELS proc
                         PASS_REGULAR_EXPRESSION "pidns: ALL OK")
  endforeach()
endif()
find_program(SABOT_PROC_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(SABOT_PROC_PYTHON AND TARGET sabot)
  add_test(NAME proc.python.subprocess
    COMMAND sh -c "cd \"$0\" && \"$2\" \"$3\" > native.txt 2>&1 && \"$1\" run -- \"$2\" \"$3\" > sabot.txt 2>/dev/null && diff -u native.txt sabot.txt && echo 'python subprocess: ALL OK'"
            ${CMAKE_CURRENT_BINARY_DIR} $<TARGET_FILE:sabot> ${SABOT_PROC_PYTHON}
            ${CMAKE_CURRENT_LIST_DIR}/pyproc.py)
  set_tests_properties(proc.python.subprocess PROPERTIES TIMEOUT 60 LABELS proc)
  add_test(NAME proc.python.subprocess.checkpoint
    COMMAND sh -c "cd \"$0\" && \"$2\" \"$3\" > native-ck.txt 2>&1 && \"$1\" run --fork checkpoint -- \"$2\" \"$3\" > sabot-ck.txt 2>/dev/null && diff -u native-ck.txt sabot-ck.txt && echo 'python subprocess: ALL OK'"
            ${CMAKE_CURRENT_BINARY_DIR} $<TARGET_FILE:sabot> ${SABOT_PROC_PYTHON}
            ${CMAKE_CURRENT_LIST_DIR}/pyproc.py)
  set_tests_properties(proc.python.subprocess.checkpoint PROPERTIES TIMEOUT 90
                       LABELS "proc;checkpoint" PASS_REGULAR_EXPRESSION "python subprocess: ALL OK")
endif()

# fork programs, static musl (the integration flavours' compilers).
find_program(SABOT_PROC_MUSL musl-gcc)
if(SABOT_PROC_MUSL AND TARGET sabot)
  set(forks_bin ${CMAKE_CURRENT_BINARY_DIR}/forks-musl)
  add_custom_command(OUTPUT ${forks_bin}
    COMMAND ${SABOT_PROC_MUSL} -static -O1 -o ${forks_bin} ${CMAKE_CURRENT_LIST_DIR}/forks.c
    DEPENDS ${CMAKE_CURRENT_LIST_DIR}/forks.c)
  add_custom_target(proc_programs ALL DEPENDS ${forks_bin})
  foreach(mode shared vfork mmrace)
    add_test(NAME proc.forks.${mode}.native
      COMMAND sh ${SABOT_ITEST_SRC}/run_prog.sh
              --workdir ${CMAKE_CURRENT_BINARY_DIR}/work/forks.${mode}.native
              --rc 0 --line "forks: ALL OK" -- ${forks_bin} ${mode})
    set_tests_properties(proc.forks.${mode}.native PROPERTIES TIMEOUT 60 LABELS "proc;native")
  endforeach()
  foreach(mode loop threads mmthreads shared vfork mmrace)
    add_test(NAME proc.forks.${mode}
      COMMAND sh ${SABOT_ITEST_SRC}/run_prog.sh --sabot $<TARGET_FILE:sabot>
              --workdir ${CMAKE_CURRENT_BINARY_DIR}/work/forks.${mode} --rc 0
              --line "forks: ALL OK" -- ${forks_bin} ${mode} 1000)
    set_tests_properties(proc.forks.${mode} PROPERTIES TIMEOUT 120 LABELS proc)
    if(mode STREQUAL "mmrace")
      continue() # no fork in it
    endif()
    add_test(NAME proc.forks.${mode}.checkpoint
      COMMAND sh ${SABOT_ITEST_SRC}/run_prog.sh --sabot $<TARGET_FILE:sabot> --fork checkpoint
              --workdir ${CMAKE_CURRENT_BINARY_DIR}/work/forks.${mode}.checkpoint --rc 0
              --line "forks: ALL OK" -- ${forks_bin} ${mode} 1000)
    set_tests_properties(proc.forks.${mode}.checkpoint PROPERTIES TIMEOUT 180
                         LABELS "proc;checkpoint")
  endforeach()
  # Signals from another process wherever the target's threads are (busy
  # in app code, in read, in pthread_join, stopped, just forked): natively,
  # on both fork paths, and with every syscall a SIGSYS (no rewrite).
  set(wake_bin ${CMAKE_CURRENT_BINARY_DIR}/wake-musl)
  add_custom_command(OUTPUT ${wake_bin}
    COMMAND ${SABOT_PROC_MUSL} -static -O1 -pthread -o ${wake_bin} ${CMAKE_CURRENT_LIST_DIR}/wake.c
    DEPENDS ${CMAKE_CURRENT_LIST_DIR}/wake.c)
  add_custom_target(proc_wake_program ALL DEPENDS ${wake_bin})
  add_test(NAME proc.wake.native
    COMMAND sh ${SABOT_ITEST_SRC}/run_prog.sh --workdir ${CMAKE_CURRENT_BINARY_DIR}/work/wake.native
            --rc 0 --line "wake: ALL OK" -- ${wake_bin})
  set_tests_properties(proc.wake.native PROPERTIES TIMEOUT 60 LABELS "proc;native")
  foreach(mode fast checkpoint)
    add_test(NAME proc.wake.${mode}
      COMMAND sh ${SABOT_ITEST_SRC}/run_prog.sh --sabot $<TARGET_FILE:sabot> --fork ${mode}
              --workdir ${CMAKE_CURRENT_BINARY_DIR}/work/wake.${mode} --rc 0
              --line "wake: ALL OK" -- ${wake_bin})
    set_tests_properties(proc.wake.${mode} PROPERTIES TIMEOUT 90 LABELS proc)
  endforeach()
  add_test(NAME proc.wake.sud
    COMMAND sh -c "SABOT_REWRITE=0 exec sh \"$@\"" sh ${SABOT_ITEST_SRC}/run_prog.sh
            --sabot $<TARGET_FILE:sabot> --workdir ${CMAKE_CURRENT_BINARY_DIR}/work/wake.sud
            --rc 0 --line "wake: ALL OK" -- ${wake_bin})
  set_tests_properties(proc.wake.sud PROPERTIES TIMEOUT 90 LABELS proc)
  # sys.processes = 4: the first process and 3 children, then EAGAIN.
  add_test(NAME proc.forks.limit
    COMMAND sh -c "d=\"$0\"; mkdir -p \"$d\" && cd \"$d\" && printf '[loader]\\nenv_passthrough = [\"*\"]\\n[[fs.mounts]]\\npath = \"/\"\\ntype = \"host\"\\nsource = \"/\"\\n[sys]\\nprocesses = 4\\n' > m.toml && \"$1\" run -m m.toml -- \"$2\" limit 4"
            ${CMAKE_CURRENT_BINARY_DIR}/work/forks.limit $<TARGET_FILE:sabot> ${forks_bin})
  set_tests_properties(proc.forks.limit PROPERTIES TIMEOUT 60 LABELS proc
                       PASS_REGULAR_EXPRESSION "forks: ALL OK")
endif()

# The sandbox-wide process table (ptable.c): kill to any process, orphans,
# stop/continue in wait, /proc/<pid> of others, setpgid rules, execve from
# four threads; each mode natively and under sabot. The tty mode runs under
# script(1) so stdin is a terminal (job control: tcsetpgrp, SIGTTOU/SIGTTIN).
if(COMMAND sabot_itest_build)
  find_program(SABOT_PROC_SCRIPT script)
  set(SABOT_PTABLE_OUTPUTS)
  foreach(f ${SABOT_ITEST_FLAVOURS})
    if(f STREQUAL "glibc-pie")
      continue()
    endif()
    sabot_itest_build(ptable ${CMAKE_CURRENT_LIST_DIR}/ptable.c ${f} -pthread)
    set(prog ${SABOT_ITEST_DIR}/ptable-${f})
    list(APPEND SABOT_PTABLE_OUTPUTS ${prog})
    foreach(mode all exec4)
      add_test(NAME proc.ptable.native.${mode}.${f}
        COMMAND sh ${SABOT_ITEST_SRC}/run_prog.sh
                --workdir ${CMAKE_CURRENT_BINARY_DIR}/work/ptable.native.${mode}.${f}
                --rc 0 --line "ptable: ALL OK" -- ${prog} ${mode})
      set_tests_properties(proc.ptable.native.${mode}.${f} PROPERTIES TIMEOUT 60
                           LABELS "proc;native")
      if(TARGET sabot)
        add_test(NAME proc.ptable.${mode}.${f}
          COMMAND sh ${SABOT_ITEST_SRC}/run_prog.sh --sabot $<TARGET_FILE:sabot>
                  --workdir ${CMAKE_CURRENT_BINARY_DIR}/work/ptable.${mode}.${f}
                  --rc 0 --line "ptable: ALL OK" -- ${prog} ${mode})
        set_tests_properties(proc.ptable.${mode}.${f} PROPERTIES TIMEOUT 60 LABELS proc)
        add_test(NAME proc.ptable.${mode}.${f}.checkpoint
          COMMAND sh ${SABOT_ITEST_SRC}/run_prog.sh --sabot $<TARGET_FILE:sabot> --fork checkpoint
                  --workdir ${CMAKE_CURRENT_BINARY_DIR}/work/ptable.${mode}.${f}.checkpoint
                  --rc 0 --line "ptable: ALL OK" -- ${prog} ${mode})
        set_tests_properties(proc.ptable.${mode}.${f}.checkpoint PROPERTIES TIMEOUT 90
                             LABELS "proc;checkpoint")
      endif()
    endforeach()
    if(SABOT_PROC_SCRIPT)
      add_test(NAME proc.ptable.native.tty.${f}
        COMMAND ${SABOT_PROC_SCRIPT} -qec "${prog} tty" /dev/null)
      set_tests_properties(proc.ptable.native.tty.${f} PROPERTIES TIMEOUT 60
                           LABELS "proc;native" PASS_REGULAR_EXPRESSION "ptable: ALL OK")
      if(TARGET sabot)
        add_test(NAME proc.ptable.tty.${f}
          COMMAND ${SABOT_PROC_SCRIPT} -qec
                  "$<TARGET_FILE:sabot> run --log-level none -- ${prog} tty" /dev/null)
        set_tests_properties(proc.ptable.tty.${f} PROPERTIES TIMEOUT 60 LABELS proc
                             PASS_REGULAR_EXPRESSION "ptable: ALL OK")
      endif()
    endif()
  endforeach()
  add_custom_target(ptable_programs ALL DEPENDS ${SABOT_PTABLE_OUTPUTS})
endif()

# An interactive busybox sh on a terminal (script(1)): job control with
# process groups, the foreground group and stop/continue, as natively.
# The input comes after a second, once the shell has prompted: typed
# ahead, the terminal's echo and the banner race.
if(SABOT_PROC_BUSYBOX AND SABOT_PROC_SCRIPT AND TARGET sabot)
  add_test(NAME proc.shell.interactive
    COMMAND sh -c "mkdir -p \"$0\" && cd \"$0\" && { sleep 1; cat \"$3\"; } | script -qec \"$2 sh -i\" /dev/null > native.txt 2>&1; { sleep 1; cat \"$3\"; } | script -qec \"$1 run --log-level none -- $2 sh -i\" /dev/null > sabot.txt 2>&1; diff -u native.txt sabot.txt && echo 'interactive: ALL OK'"
            ${CMAKE_CURRENT_BINARY_DIR}/work/shell.interactive $<TARGET_FILE:sabot>
            ${SABOT_PROC_BUSYBOX} ${CMAKE_CURRENT_LIST_DIR}/interactive.txt)
  set_tests_properties(proc.shell.interactive PROPERTIES TIMEOUT 60 LABELS proc
                       PASS_REGULAR_EXPRESSION "interactive: ALL OK")
endif()
