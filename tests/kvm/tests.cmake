# KVM PAL (pal/kvm): programs under `sabot run --pal kvm`, the PAL
# conformance body on the KVM guest PAL, and the tender's request checks.
# Tests that need a VM exit 77 (skipped) where /dev/kvm is not usable.
set(KVM_TEST_DIR ${CMAKE_CURRENT_LIST_DIR})

# Conformance: the guest PAL + tests/pal/conformance.c as one guest image.
set(KVM_CONF_IMAGE ${CMAKE_CURRENT_BINARY_DIR}/pal_conformance_kvm.elf)
add_custom_command(OUTPUT ${KVM_CONF_IMAGE}
  COMMAND ld -static -nostdlib -z max-page-size=4096 -z noexecstack
          -T ${SABOT_ROOT}/pal/kvm/guest/guest.ld
          --whole-archive $<TARGET_FILE:pal_kvm_guest> $<TARGET_FILE:pal_conformance>
          --no-whole-archive -o ${KVM_CONF_IMAGE}
  DEPENDS pal_kvm_guest pal_conformance ${SABOT_ROOT}/pal/kvm/guest/guest.ld
  COMMENT "Linking the conformance body with the KVM guest PAL"
  VERBATIM)
add_custom_target(pal_conformance_kvm_image ALL DEPENDS ${KVM_CONF_IMAGE})
add_executable(pal_conformance_kvm ${KVM_TEST_DIR}/conf_launcher.c)
target_link_libraries(pal_conformance_kvm PRIVATE pal_kvm_tender)
target_compile_options(pal_conformance_kvm PRIVATE ${SABOT_HOSTED_FLAGS})
add_dependencies(pal_conformance_kvm pal_conformance_kvm_image)
set(KVM_CONF_SCRATCH ${CMAKE_CURRENT_BINARY_DIR}/pal_conformance_kvm_scratch)
# Known failures (tests/kvm/conformance_known_failures.txt, with reasons)
# are allowed; any other "not ok", or a run that does not reach its plan
# line, fails.
add_test(NAME kvm.conformance
         COMMAND sh ${KVM_TEST_DIR}/run_conformance.sh $<TARGET_FILE:pal_conformance_kvm>
                 ${KVM_CONF_IMAGE} ${KVM_CONF_SCRATCH} ${KVM_TEST_DIR}/conformance_known_failures.txt)
set_tests_properties(kvm.conformance PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)

# The tender's request checks, without a VM: garbage requests get errors.
add_executable(kvm_hc_robust ${KVM_TEST_DIR}/test_hc.c)
target_link_libraries(kvm_hc_robust PRIVATE pal_kvm_tender)
target_compile_options(kvm_hc_robust PRIVATE ${SABOT_HOSTED_FLAGS})
add_test(NAME kvm.hc_robust COMMAND kvm_hc_robust ${CMAKE_CURRENT_BINARY_DIR})

# Programs on the KVM PAL, each compared with the same program run natively.
add_test(NAME kvm.programs
         COMMAND sh ${KVM_TEST_DIR}/run_kvm.sh $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(kvm.programs PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)

# Threads, pipes and sockets on the KVM PAL (one vCPU per thread): the
# issue 3 showcase programs, each flavour, through run3.sh with `sabot run
# --pal kvm`. Known gaps (see docs/kvm.md): futex "shared" (a file mapped
# MAP_SHARED twice), signals "faults" (a mapping past the end of a file).
if(TARGET issue3_programs)
  set(KVM_I3_BIN ${CMAKE_BINARY_DIR}/tests/issue3)
  set(KVM_I3_CASES "futex requeue" "futex wakeop" "futex bitset" "futex timeout"
      "condtime single" "condtime staggered" "condtime signalled" "condtime mutex_sem"
      "signals thread" "signals route" "signals altstack" "signals overflow" "signals suspend"
      "signals wait" "signals flags" "signals segv" "signals restart"
      "evloop basic" "evloop order" "evloop loop" "evloop modes" "evloop pwait")
  foreach(f musl glibc glibc-pie)
    foreach(c ${KVM_I3_CASES})
      separate_arguments(pc UNIX_COMMAND "${c}")
      list(GET pc 0 prog)
      list(GET pc 1 sub)
      set(tname kvm.i3.${prog}.${sub}.${f})
      add_test(NAME ${tname}
        COMMAND sh ${KVM_TEST_DIR}/run_i3.sh $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR}/kvm_i3
                --workdir ${CMAKE_CURRENT_BINARY_DIR}/kvm_i3/work/${tname}
                --line "${prog}: ALL OK" -- ${KVM_I3_BIN}/${prog}-${f} ${sub})
      set_tests_properties(${tname} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 LABELS kvm)
    endforeach()
    foreach(t tcp tcpopts udp unix)
      set(tname kvm.i3.net.${t}.${f})
      add_test(NAME ${tname}
        COMMAND sh ${KVM_TEST_DIR}/run_i3.sh $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR}/kvm_i3
                --net --workdir ${CMAKE_CURRENT_BINARY_DIR}/kvm_i3/work/${tname}
                --line "net: ALL OK" -- ${KVM_I3_BIN}/net-${f} ${t})
      set_tests_properties(${tname} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 LABELS kvm)
    endforeach()
    # Default action of SIGTERM: killed, status 128 + 15.
    add_test(NAME kvm.i3.signals.term.${f}
      COMMAND sh ${KVM_TEST_DIR}/run_i3.sh $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR}/kvm_i3
              --workdir ${CMAKE_CURRENT_BINARY_DIR}/kvm_i3/work/kvm.i3.signals.term.${f}
              --rc 143 --line "raising SIGTERM" -- ${KVM_I3_BIN}/signals-${f} term)
    set_tests_properties(kvm.i3.signals.term.${f} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120
                         LABELS kvm)
  endforeach()
  # 64 threads x 1e6 futex ping-pongs (raw futex and pthread), like issue3.
  foreach(t race pthread)
    add_test(NAME kvm.i3.futex.${t}.musl
      COMMAND sh ${KVM_TEST_DIR}/run_i3.sh $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR}/kvm_i3
              --workdir ${CMAKE_CURRENT_BINARY_DIR}/kvm_i3/work/kvm.i3.futex.${t}.musl
              --line "futex: ALL OK" -- ${KVM_I3_BIN}/futex-musl ${t} 1000000)
    set_tests_properties(kvm.i3.futex.${t}.musl PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
                         RUN_SERIAL TRUE LABELS kvm)
  endforeach()
endif()

# A TCP server on the KVM PAL: redis-server served to redis-benchmark.
add_test(NAME kvm.redis
         COMMAND sh ${KVM_TEST_DIR}/run_redis.sh $<TARGET_FILE:sabot>
                 ${CMAKE_CURRENT_BINARY_DIR}/kvm_redis)
set_tests_properties(kvm.redis PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 LABELS kvm)

# Integration programs (tests/integration) on the KVM PAL through their
# own runner. Not yet: mmapfile (MAP_SHARED of a host file, docs/kvm.md).
if(TARGET integration_programs)
  set(KVM_IT_BIN ${CMAKE_BINARY_DIR}/tests/integration)
  foreach(f musl glibc glibc-pie)
    foreach(p fileio dirwalk execchain regs procinfo memory)
      set(args)
      if(p STREQUAL "fileio" OR p STREQUAL "dirwalk" OR p STREQUAL "execchain")
        set(args @WORK@)
      endif()
      set(tname kvm.integration.${p}.${f})
      add_test(NAME ${tname}
        COMMAND env RUNNER=integration/run_prog.sh sh ${KVM_TEST_DIR}/run_i3.sh
                $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR}/kvm_it
                --workdir ${CMAKE_CURRENT_BINARY_DIR}/kvm_it/work/${tname}
                --line "${p}: ALL OK" -- ${KVM_IT_BIN}/${p}-${f} ${args})
      set_tests_properties(${tname} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 LABELS kvm)
    endforeach()
    foreach(code 0 1 42 255)
      set(tname kvm.integration.exitcode.${code}.${f})
      add_test(NAME ${tname}
        COMMAND env RUNNER=integration/run_prog.sh sh ${KVM_TEST_DIR}/run_i3.sh
                $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR}/kvm_it
                --workdir ${CMAKE_CURRENT_BINARY_DIR}/kvm_it/work/${tname}
                --rc ${code} --stdout "exitcode: exiting with ${code}"
                -- ${KVM_IT_BIN}/exitcode-${f} ${code})
      set_tests_properties(${tname} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 LABELS kvm)
    endforeach()
    set(tname kvm.integration.abort.${f})
    add_test(NAME ${tname}
      COMMAND env RUNNER=integration/run_prog.sh sh ${KVM_TEST_DIR}/run_i3.sh
              $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR}/kvm_it
              --workdir ${CMAKE_CURRENT_BINARY_DIR}/kvm_it/work/${tname}
              --rc 134 --stdout "abortself: calling abort()" -- ${KVM_IT_BIN}/abortself-${f})
    set_tests_properties(${tname} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 LABELS kvm)
  endforeach()
endif()

# Processes on the KVM PAL (tests/proc programs): 1000 forks in a loop and
# fork from a multithreaded program; the busybox job-control script
# compared with native. (forks "shared": see docs/kvm.md.) tests/proc is
# included after tests/kvm (alphabetical): its target does not exist yet
# here, so the test is there whenever tests/proc builds forks-musl.
# (forks "mmthreads", where one more thread maps and unmaps, hangs on KVM:
# docs/kvm.md "Not yet".)
find_program(KVM_PROC_MUSL_GCC musl-gcc)
if(KVM_PROC_MUSL_GCC)
  foreach(mode loop)
    set(tname kvm.proc.forks.${mode})
    add_test(NAME ${tname}
      COMMAND env RUNNER=integration/run_prog.sh sh ${KVM_TEST_DIR}/run_i3.sh
              $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR}/kvm_it
              --workdir ${CMAKE_CURRENT_BINARY_DIR}/kvm_it/work/${tname}
              --line "forks: ALL OK" -- ${CMAKE_CURRENT_BINARY_DIR}/forks-musl ${mode} 1000)
    set_tests_properties(${tname} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 180 LABELS kvm)
  endforeach()
endif()

# gdb through the tender's gdbstub (--gdb PORT): a batch session on a
# static musl program (break main, bt, rip, next, a global, exit status),
# and malformed packets that must not bring the tender down.
add_test(NAME kvm.gdb.session
         COMMAND sh ${KVM_TEST_DIR}/run_gdb.sh session $<TARGET_FILE:sabot>
                 ${CMAKE_CURRENT_BINARY_DIR}/kvm_gdb/session ${CMAKE_BINARY_DIR}/sabot-kvm-gdb.py)
add_test(NAME kvm.gdb.garbage
         COMMAND sh ${KVM_TEST_DIR}/run_gdb.sh garbage $<TARGET_FILE:sabot>
                 ${CMAKE_CURRENT_BINARY_DIR}/kvm_gdb/garbage)
# Ctrl-C while the guest runs: two spinning threads stop, SIGINT reported.
add_test(NAME kvm.gdb.interrupt
         COMMAND sh ${KVM_TEST_DIR}/run_gdb.sh interrupt $<TARGET_FILE:sabot>
                 ${CMAKE_CURRENT_BINARY_DIR}/kvm_gdb/interrupt)
set_tests_properties(kvm.gdb.session kvm.gdb.garbage kvm.gdb.interrupt PROPERTIES
                     SKIP_RETURN_CODE 77 TIMEOUT 150 LABELS "kvm;gdb")

# Syscall rewrite in the guest (pal/kvm/guest/rewrite.c): tests/rewrite's
# programs on the KVM PAL, expecting rewritten sites (plain `syscall` with
# pal.syscall_rewrite = false, or when sabot's default is off). tests/kvm
# is included before tests/rewrite (alphabetical), so the flavours and the
# site expectation are worked out here the same way, not taken from there.
find_program(SABOT_RW_MUSL_GCC musl-gcc)
find_program(SABOT_RW_GCC gcc)
set(KVM_RW_FLAVOURS)
if(SABOT_RW_MUSL_GCC)
  list(APPEND KVM_RW_FLAVOURS musl)
endif()
if(SABOT_RW_GCC)
  list(APPEND KVM_RW_FLAVOURS glibc glibc-pie)
endif()
if(SABOT_REWRITE OR NOT DEFINED SABOT_REWRITE)
  set(KVM_RW_SITE rewritten)
else()
  set(KVM_RW_SITE syscall)
endif()
foreach(f ${KVM_RW_FLAVOURS})
  set(prog ${CMAKE_CURRENT_BINARY_DIR}/rewrite/rewrite-${f})
  foreach(t threads signals remap fork exec nullcall)
    set(tname kvm.rewrite.${t}.${f})
    add_test(NAME ${tname}
      COMMAND sh ${KVM_TEST_DIR}/run_rewrite.sh $<TARGET_FILE:sabot>
              ${CMAKE_CURRENT_BINARY_DIR}/kvm_rw/${tname} --workdir
              ${CMAKE_CURRENT_BINARY_DIR}/kvm_rw/work/${tname} --expect-site ${KVM_RW_SITE}
              -- ${prog} ${t})
    set_tests_properties(${tname} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 LABELS kvm)
  endforeach()
  # 8 vCPUs hammering one site: ~35 s alone on a loaded 2-CPU machine.
  set_tests_properties(kvm.rewrite.threads.${f} PROPERTIES TIMEOUT 300)
  set(tname kvm.rewrite.manifest_off.${f})
  add_test(NAME ${tname}
    COMMAND sh ${KVM_TEST_DIR}/run_rewrite.sh $<TARGET_FILE:sabot>
            ${CMAKE_CURRENT_BINARY_DIR}/kvm_rw/${tname} --manifest-off --workdir
            ${CMAKE_CURRENT_BINARY_DIR}/kvm_rw/work/${tname} --expect-site syscall
            -- ${prog} threads)
  set_tests_properties(${tname} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300 LABELS kvm)
endforeach()
# Numbers past page 0's sled through a rewritten site (ENOSYS), jumps into
# page 0 that are not from a site (SIGSEGV at the target), compared with
# native.
if(SABOT_RW_MUSL_GCC)
  set(KVM_RW_EDGES ${CMAKE_CURRENT_BINARY_DIR}/kvm_rw/rw_edges-musl)
  add_custom_command(OUTPUT ${KVM_RW_EDGES}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/kvm_rw
    COMMAND ${SABOT_RW_MUSL_GCC} -static -O1 -g -Wall -o ${KVM_RW_EDGES}
            ${KVM_TEST_DIR}/rw_edges.c
    DEPENDS ${KVM_TEST_DIR}/rw_edges.c
    COMMENT "Building rw_edges-musl"
    VERBATIM)
  add_custom_target(kvm_rw_edges ALL DEPENDS ${KVM_RW_EDGES})
  add_test(NAME kvm.rewrite.edges
    COMMAND sh ${KVM_TEST_DIR}/run_rw_edges.sh $<TARGET_FILE:sabot> ${KVM_RW_EDGES}
            ${CMAKE_CURRENT_BINARY_DIR}/kvm_rw/work/kvm.rewrite.edges ${KVM_RW_SITE})
  set_tests_properties(kvm.rewrite.edges PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 LABELS kvm)
endif()

# The tender's Landlock: no host file outside the mounts, no write under a
# read-only one, no ungranted TCP port, even for a request the tender's own
# checks let through (a forged, wider policy). Skipped without Landlock.
add_executable(kvm_landlock ${KVM_TEST_DIR}/test_landlock.c)
target_link_libraries(kvm_landlock PRIVATE libsabot)
target_include_directories(kvm_landlock PRIVATE ${SABOT_ROOT}/runtime)
target_compile_options(kvm_landlock PRIVATE ${SABOT_HOSTED_FLAGS})
add_test(NAME kvm.landlock COMMAND kvm_landlock ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(kvm.landlock PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 60)

# ---- issue 7, KVM processes and shared files (helper C)
# Shared file mappings (MAP_SHARED of a host file: the file's own pages in
# a memory slot): the integration program mmapfile, futex "shared" (one
# file mapped twice: the word is a host futex) and signals "faults" (SIGBUS
# past the end of the file).
if(TARGET integration_programs)
  foreach(f musl glibc glibc-pie)
    set(tname kvm.integration.mmapfile.${f})
    add_test(NAME ${tname}
      COMMAND env RUNNER=integration/run_prog.sh sh ${KVM_TEST_DIR}/run_i3.sh
              $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR}/kvm_it
              --workdir ${CMAKE_CURRENT_BINARY_DIR}/kvm_it/work/${tname}
              --line "mmapfile: ALL OK" -- ${KVM_IT_BIN}/mmapfile-${f} @WORK@ alpha "beta gamma")
    set_tests_properties(${tname} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 LABELS kvm)
  endforeach()
endif()
if(TARGET issue3_programs)
  foreach(f musl glibc glibc-pie)
    foreach(c "futex shared" "signals faults")
      separate_arguments(pc UNIX_COMMAND "${c}")
      list(GET pc 0 prog)
      list(GET pc 1 sub)
      set(tname kvm.i3.${prog}.${sub}.${f})
      add_test(NAME ${tname}
        COMMAND sh ${KVM_TEST_DIR}/run_i3.sh $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR}/kvm_i3
                --workdir ${CMAKE_CURRENT_BINARY_DIR}/kvm_i3/work/${tname}
                --line "${prog}: ALL OK" -- ${KVM_I3_BIN}/${prog}-${f} ${sub})
      set_tests_properties(${tname} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 LABELS kvm)
    endforeach()
  endforeach()
endif()

# Processes: forks "threads", "shared" and "vfork" (fast fork), and the
# checkpoint fork (pal_process_create: a fresh VM from the image, `--fork
# checkpoint`): forks loop/shared/vfork/threads, the process table programs.
if(KVM_PROC_MUSL_GCC)
  foreach(mode threads shared vfork)
    set(tname kvm.proc.forks.${mode})
    add_test(NAME ${tname}
      COMMAND env RUNNER=integration/run_prog.sh sh ${KVM_TEST_DIR}/run_i3.sh
              $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR}/kvm_it
              --workdir ${CMAKE_CURRENT_BINARY_DIR}/kvm_it/work/${tname}
              --line "forks: ALL OK" -- ${CMAKE_CURRENT_BINARY_DIR}/forks-musl ${mode})
    set_tests_properties(${tname} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 LABELS kvm)
  endforeach()
  foreach(mode loop shared vfork threads)
    set(tname kvm.proc.forks.${mode}.checkpoint)
    add_test(NAME ${tname}
      COMMAND env RUNNER=integration/run_prog.sh sh ${KVM_TEST_DIR}/run_i3.sh
              $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR}/kvm_it --fork checkpoint
              --workdir ${CMAKE_CURRENT_BINARY_DIR}/kvm_it/work/${tname}
              --line "forks: ALL OK" -- ${CMAKE_CURRENT_BINARY_DIR}/forks-musl ${mode} 100)
    set_tests_properties(${tname} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 180
                         LABELS "kvm;checkpoint")
  endforeach()
endif()
if(COMMAND sabot_itest_build)
  foreach(f musl glibc)
    foreach(mode all exec4)
      set(tname kvm.proc.ptable.${mode}.${f}.checkpoint)
      add_test(NAME ${tname}
        COMMAND env RUNNER=integration/run_prog.sh sh ${KVM_TEST_DIR}/run_i3.sh
                $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR}/kvm_it --fork checkpoint
                --workdir ${CMAKE_CURRENT_BINARY_DIR}/kvm_it/work/${tname}
                --line "ptable: ALL OK" -- ${SABOT_ITEST_DIR}/ptable-${f} ${mode})
      set_tests_properties(${tname} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 180
                           LABELS "kvm;checkpoint")
    endforeach()
  endforeach()
endif()
# On a terminal (script(1)): terminal modes set through the tender, job
# control with SIGTTOU/SIGTTIN (tests/proc/ptable.c tty).
find_program(KVM_SCRIPT script)
if(COMMAND sabot_itest_build AND KVM_SCRIPT)
  foreach(f musl glibc)
    add_test(NAME kvm.proc.ptable.tty.${f}
      COMMAND sh -c "[ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo 'SKIP: /dev/kvm is not accessible'; exit 77; }; script -qec \"$0 run --pal kvm --log-level none -- $1 tty\" /dev/null"
              $<TARGET_FILE:sabot> ${SABOT_ITEST_DIR}/ptable-${f})
    set_tests_properties(kvm.proc.ptable.tty.${f} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120
                         LABELS kvm PASS_REGULAR_EXPRESSION "ptable: ALL OK")
  endforeach()
endif()

# Host signals to the tender (SIGINT, SIGHUP, SIGQUIT, SIGTERM) reach the
# app as on Linux: while it sleeps, while it spins in its own code, and the
# default actions; each compared with the program run natively.
if(KVM_PROC_MUSL_GCC)
  set(KVM_HOSTSIG_BIN ${CMAKE_CURRENT_BINARY_DIR}/kvm_hostsig-musl)
  add_custom_command(OUTPUT ${KVM_HOSTSIG_BIN}
    COMMAND ${KVM_PROC_MUSL_GCC} -static -O1 -o ${KVM_HOSTSIG_BIN} ${KVM_TEST_DIR}/hostsig.c
    DEPENDS ${KVM_TEST_DIR}/hostsig.c)
  set(KVM_SHMFILE_BIN ${CMAKE_CURRENT_BINARY_DIR}/kvm_shmfile-musl)
  add_custom_command(OUTPUT ${KVM_SHMFILE_BIN}
    COMMAND ${KVM_PROC_MUSL_GCC} -static -O1 -o ${KVM_SHMFILE_BIN} ${KVM_TEST_DIR}/shmfile.c
    DEPENDS ${KVM_TEST_DIR}/shmfile.c)
  add_custom_target(kvm_hostsig_program ALL DEPENDS ${KVM_HOSTSIG_BIN} ${KVM_SHMFILE_BIN})
  # Shared file mappings: shrink/grow under a mapping, read-only ones, 1000
  # map/unmap cycles (memory slots given back); natively and on KVM.
  add_test(NAME kvm.shmfile.native
    COMMAND sh ${SABOT_ROOT}/tests/integration/run_prog.sh
            --workdir ${CMAKE_CURRENT_BINARY_DIR}/kvm_it/work/kvm.shmfile.native
            --line "shmfile: ALL OK" -- ${KVM_SHMFILE_BIN})
  add_test(NAME kvm.shmfile
    COMMAND env RUNNER=integration/run_prog.sh sh ${KVM_TEST_DIR}/run_i3.sh
            $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR}/kvm_it
            --workdir ${CMAKE_CURRENT_BINARY_DIR}/kvm_it/work/kvm.shmfile
            --line "shmfile: ALL OK" -- ${KVM_SHMFILE_BIN})
  set_tests_properties(kvm.shmfile kvm.shmfile.native PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120
                       LABELS kvm)
  foreach(mode sleep spin default)
    add_test(NAME kvm.hostsig.${mode}
      COMMAND sh ${KVM_TEST_DIR}/run_hostsig.sh $<TARGET_FILE:sabot>
              ${CMAKE_CURRENT_BINARY_DIR}/kvm_hostsig/${mode} ${KVM_HOSTSIG_BIN} ${mode})
    set_tests_properties(kvm.hostsig.${mode} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120
                         LABELS kvm)
  endforeach()
endif()

# ---- issue 7, request rings (helper R): file I/O from 6 threads (one ring
# each, one ring server) and from forked children (the child tender starts
# its own server), every byte checked; natively first (Linux is the spec).
find_program(SABOT_RING_MUSL_GCC musl-gcc)
if(SABOT_RING_MUSL_GCC)
  set(KVM_RING_IO ${CMAKE_CURRENT_BINARY_DIR}/kvm_ring/ring_io-musl)
  add_custom_command(OUTPUT ${KVM_RING_IO}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/kvm_ring
    COMMAND ${SABOT_RING_MUSL_GCC} -static -O1 -g -Wall -pthread -o ${KVM_RING_IO}
            ${KVM_TEST_DIR}/ring_io.c
    DEPENDS ${KVM_TEST_DIR}/ring_io.c
    COMMENT "Building ring_io-musl"
    VERBATIM)
  add_custom_target(kvm_ring_io ALL DEPENDS ${KVM_RING_IO})
  foreach(mode threads fork)
    add_test(NAME kvm.ring_io.${mode}.native
      COMMAND sh ${SABOT_ROOT}/tests/integration/run_prog.sh
              --workdir ${CMAKE_CURRENT_BINARY_DIR}/kvm_ring/work/native.${mode}
              --line "ring_io: ALL OK" -- ${KVM_RING_IO} ${mode})
    add_test(NAME kvm.ring_io.${mode}
      COMMAND env RUNNER=integration/run_prog.sh sh ${KVM_TEST_DIR}/run_i3.sh
              $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR}/kvm_ring
              --workdir ${CMAKE_CURRENT_BINARY_DIR}/kvm_ring/work/kvm.${mode}
              --line "ring_io: ALL OK" -- ${KVM_RING_IO} ${mode})
    set_tests_properties(kvm.ring_io.${mode} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
                         LABELS kvm)
  endforeach()
endif()
