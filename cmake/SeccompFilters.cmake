# The seccomp allowlists (runtime/seccomp_rules.c for the Linux PAL,
# pal/kvm/tender/confine_rules.c for the tender) are compiled to BPF at
# build time with libseccomp (Debian libseccomp-dev): the binaries carry
# the filters as arrays and need no libseccomp at run time.
find_library(SABOT_LIBSECCOMP seccomp REQUIRED)
add_executable(seccomp_gen ${SABOT_ROOT}/runtime/seccomp_gen.c ${SABOT_ROOT}/runtime/seccomp_rules.c
               ${SABOT_ROOT}/pal/kvm/tender/confine_rules.c)
target_include_directories(seccomp_gen PRIVATE ${SABOT_ROOT}/runtime)
target_compile_options(seccomp_gen PRIVATE ${SABOT_HOSTED_FLAGS})
target_link_options(seccomp_gen PRIVATE ${SABOT_HOSTED_LINK})
target_link_libraries(seccomp_gen PRIVATE ${SABOT_LIBSECCOMP})
set(SABOT_SECCOMP_PAL_C ${CMAKE_BINARY_DIR}/seccomp_pal.c)
set(SABOT_SECCOMP_TENDER_C ${CMAKE_BINARY_DIR}/seccomp_tender.c)
add_custom_command(OUTPUT ${SABOT_SECCOMP_PAL_C}
  COMMAND seccomp_gen pal ${SABOT_SECCOMP_PAL_C} DEPENDS seccomp_gen)
add_custom_command(OUTPUT ${SABOT_SECCOMP_TENDER_C}
  COMMAND seccomp_gen tender ${SABOT_SECCOMP_TENDER_C} DEPENDS seccomp_gen)
add_custom_target(seccomp_filters DEPENDS ${SABOT_SECCOMP_PAL_C} ${SABOT_SECCOMP_TENDER_C})
