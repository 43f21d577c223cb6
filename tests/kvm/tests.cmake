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
