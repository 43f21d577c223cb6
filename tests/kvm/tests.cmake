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
# compared with native. (forks "shared": see docs/kvm.md.)
if(TARGET proc_programs)
  foreach(mode loop threads)
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
set_tests_properties(kvm.gdb.session kvm.gdb.garbage PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 150
                     LABELS "kvm;gdb")
