# Shared memory between processes (issue 5): POSIX shm_open/sem_open and
# process-shared futexes over fork, tmpfs MAP_SHARED and shared file
# positions, python3 multiprocessing; each compared with a native run.
if(NOT TARGET sabot)
  return()
endif()
set(SHM_DIR ${CMAKE_CURRENT_LIST_DIR})
set(SHM_WORK ${CMAKE_CURRENT_BINARY_DIR}/shm)
find_program(SABOT_SHM_GCC gcc)
if(SABOT_SHM_GCC)
  # Dynamic glibc: shm_open and sem_open as Debian's programs use them.
  set(shm_bin ${SHM_WORK}/shm-glibc)
  add_custom_command(OUTPUT ${shm_bin}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${SHM_WORK}
    COMMAND ${SABOT_SHM_GCC} -O1 -Wall -pthread -o ${shm_bin} ${SHM_DIR}/shm.c
    DEPENDS ${SHM_DIR}/shm.c
    COMMENT "Building test program shm-glibc"
    VERBATIM)
  add_custom_target(shm_programs ALL DEPENDS ${shm_bin})
  add_test(NAME shm.posix
    COMMAND sh ${SHM_DIR}/compare.sh $<TARGET_FILE:sabot> ${SHM_WORK}/posix "shm: ALL OK"
            -- ${shm_bin})
  set_tests_properties(shm.posix PROPERTIES TIMEOUT 150 LABELS shm)
endif()
find_program(SABOT_SHM_MUSL musl-gcc)
if(SABOT_SHM_MUSL)
  # musl's sem_open also links its semaphore file into /dev/shm.
  set(shm_musl ${SHM_WORK}/shm-musl)
  add_custom_command(OUTPUT ${shm_musl}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${SHM_WORK}
    COMMAND ${SABOT_SHM_MUSL} -static -O1 -pthread -o ${shm_musl} ${SHM_DIR}/shm.c
    DEPENDS ${SHM_DIR}/shm.c
    COMMENT "Building test program shm-musl"
    VERBATIM)
  add_custom_target(shm_programs_musl ALL DEPENDS ${shm_musl})
  add_test(NAME shm.posix.musl
    COMMAND sh ${SHM_DIR}/compare.sh $<TARGET_FILE:sabot> ${SHM_WORK}/posix-musl "shm: ALL OK"
            -- ${shm_musl})
  set_tests_properties(shm.posix.musl PROPERTIES TIMEOUT 150 LABELS shm)
endif()
find_program(SABOT_SHM_BUSYBOX busybox PATHS /bin /usr/bin NO_DEFAULT_PATH)
if(SABOT_SHM_BUSYBOX)
  add_test(NAME shm.shell.offset
    COMMAND sh ${SHM_DIR}/compare.sh $<TARGET_FILE:sabot> ${SHM_WORK}/offset "offset: done"
            -- ${SABOT_SHM_BUSYBOX} sh ${SHM_DIR}/offset.sh)
  set_tests_properties(shm.shell.offset PROPERTIES TIMEOUT 150 LABELS shm)
endif()
if(SABOT_SHM_BUSYBOX)
  # One tmpfs for all processes of a run: names, data, modes and links made
  # by children are seen by the others (fast and checkpoint fork), and its
  # host directory goes with the run's last process.
  add_test(NAME shm.tmpfs.shared
    COMMAND sh ${SHM_DIR}/compare.sh $<TARGET_FILE:sabot> ${SHM_WORK}/shared "shared: done"
            -- ${SABOT_SHM_BUSYBOX} sh ${SHM_DIR}/shared.sh)
  add_test(NAME shm.tmpfs.shared.checkpoint
    COMMAND sh ${SHM_DIR}/compare.sh $<TARGET_FILE:sabot> ${SHM_WORK}/shared-ck "shared: done"
            --fork checkpoint -- ${SABOT_SHM_BUSYBOX} sh ${SHM_DIR}/shared.sh)
  add_test(NAME shm.tmpfs.cleanup
    COMMAND sh ${SHM_DIR}/cleanup.sh $<TARGET_FILE:sabot> ${SABOT_SHM_BUSYBOX})
  set_tests_properties(shm.tmpfs.shared shm.tmpfs.shared.checkpoint shm.tmpfs.cleanup
    PROPERTIES TIMEOUT 150 LABELS shm)
endif()
find_program(SABOT_SHM_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(SABOT_SHM_PYTHON)
  add_test(NAME shm.python.multiprocessing
    COMMAND sh ${SHM_DIR}/compare.sh $<TARGET_FILE:sabot> ${SHM_WORK}/mp "mp: ALL OK"
            -- ${SABOT_SHM_PYTHON} ${SHM_DIR}/mp.py)
  set_tests_properties(shm.python.multiprocessing PROPERTIES TIMEOUT 150 LABELS shm)
  # A unix socket made after fork, a Manager, a forkserver Pool.
  add_test(NAME shm.tmpfs.python
    COMMAND sh ${SHM_DIR}/compare.sh $<TARGET_FILE:sabot> ${SHM_WORK}/shared-mp
            "shared_mp: ALL OK" -- ${SABOT_SHM_PYTHON} ${SHM_DIR}/shared_mp.py)
  add_test(NAME shm.tmpfs.python.checkpoint
    COMMAND sh ${SHM_DIR}/compare.sh $<TARGET_FILE:sabot> ${SHM_WORK}/shared-mp-ck
            "shared_mp: ALL OK" --fork checkpoint
            -- ${SABOT_SHM_PYTHON} ${SHM_DIR}/shared_mp.py no-forkserver)
  set_tests_properties(shm.tmpfs.python shm.tmpfs.python.checkpoint
    PROPERTIES TIMEOUT 150 LABELS shm)
endif()
