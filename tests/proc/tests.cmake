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
