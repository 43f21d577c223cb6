# Processes: shells with pipelines, subshells, jobs and traps; python3
# subprocess and fork (each compared with a native run).
find_program(SABOT_PROC_BUSYBOX busybox PATHS /bin /usr/bin NO_DEFAULT_PATH)
if(SABOT_PROC_BUSYBOX AND TARGET sabot)
  add_test(NAME proc.shell.jobs
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/shell_compare.sh $<TARGET_FILE:sabot>
            ${SABOT_PROC_BUSYBOX} ${CMAKE_CURRENT_LIST_DIR}/jobs.sh
            ${CMAKE_CURRENT_BINARY_DIR}/work/proc.shell.jobs)
  set_tests_properties(proc.shell.jobs PROPERTIES TIMEOUT 60 LABELS proc)
endif()
find_program(SABOT_PROC_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(SABOT_PROC_PYTHON AND TARGET sabot)
  add_test(NAME proc.python.subprocess
    COMMAND sh -c "cd \"$0\" && \"$2\" \"$3\" > native.txt 2>&1 && \"$1\" run -- \"$2\" \"$3\" > sabot.txt 2>/dev/null && diff -u native.txt sabot.txt && echo 'python subprocess: ALL OK'"
            ${CMAKE_CURRENT_BINARY_DIR} $<TARGET_FILE:sabot> ${SABOT_PROC_PYTHON}
            ${CMAKE_CURRENT_LIST_DIR}/pyproc.py)
  set_tests_properties(proc.python.subprocess PROPERTIES TIMEOUT 60 LABELS proc)
endif()

# fork programs, static musl (the integration flavours' compilers).
find_program(SABOT_PROC_MUSL musl-gcc)
if(SABOT_PROC_MUSL AND TARGET sabot)
  set(forks_bin ${CMAKE_CURRENT_BINARY_DIR}/forks-musl)
  add_custom_command(OUTPUT ${forks_bin}
    COMMAND ${SABOT_PROC_MUSL} -static -O1 -o ${forks_bin} ${CMAKE_CURRENT_LIST_DIR}/forks.c
    DEPENDS ${CMAKE_CURRENT_LIST_DIR}/forks.c)
  add_custom_target(proc_programs ALL DEPENDS ${forks_bin})
  foreach(mode loop threads)
    add_test(NAME proc.forks.${mode}
      COMMAND sh ${SABOT_ITEST_SRC}/run_prog.sh --sabot $<TARGET_FILE:sabot>
              --workdir ${CMAKE_CURRENT_BINARY_DIR}/work/forks.${mode} --rc 0
              --line "forks: ALL OK" -- ${forks_bin} ${mode} 1000)
    set_tests_properties(proc.forks.${mode} PROPERTIES TIMEOUT 120 LABELS proc)
  endforeach()
  # limits.processes = 4: the first process and 3 children, then EAGAIN.
  add_test(NAME proc.forks.limit
    COMMAND sh -c "d=\"$0\"; mkdir -p \"$d\" && cd \"$d\" && printf '[loader]\\nenv_passthrough = [\"*\"]\\n[[fs.mounts]]\\npath = \"/\"\\ntype = \"host\"\\nsource = \"/\"\\n[limits]\\nprocesses = 4\\n' > m.toml && \"$1\" run -m m.toml -- \"$2\" limit 4"
            ${CMAKE_CURRENT_BINARY_DIR}/work/forks.limit $<TARGET_FILE:sabot> ${forks_bin})
  set_tests_properties(proc.forks.limit PROPERTIES TIMEOUT 60 LABELS proc
                       PASS_REGULAR_EXPRESSION "forks: ALL OK")
endif()
