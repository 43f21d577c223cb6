# PAL conformance: tests/pal/conformance.c is a freestanding program that
# defines libos_start() and exercises pal.h directly. It is linked with each
# PAL the way sabot_core is (one relocatable object, only the boot entry
# global) and run through a small hosted launcher.
set(PAL_CONF_DIR ${CMAKE_CURRENT_LIST_DIR})

add_library(pal_conformance STATIC ${PAL_CONF_DIR}/conformance.c)
target_include_directories(pal_conformance PRIVATE ${PAL_INCLUDE})
target_compile_options(pal_conformance PRIVATE ${SABOT_FREESTANDING_FLAGS})

# Linux PAL + conformance body as one object, like sabot_core.
set(PAL_CONF_LINUX_CORE ${CMAKE_CURRENT_BINARY_DIR}/pal_conformance_linux_core.o)
sabot_link_core(pal_conformance_linux_core OUTPUT ${PAL_CONF_LINUX_CORE}
                KEEP pal_linux_boot LIBS pal_linux pal_conformance)
add_executable(pal_conformance_linux ${PAL_CONF_DIR}/launcher.c ${PAL_CONF_LINUX_CORE})
add_dependencies(pal_conformance_linux pal_conformance_linux_core)
target_include_directories(pal_conformance_linux PRIVATE ${SABOT_ROOT}/pal/linux)
target_compile_options(pal_conformance_linux PRIVATE ${SABOT_HOSTED_FLAGS})
target_link_options(pal_conformance_linux PRIVATE ${SABOT_HOSTED_LINK})

# The conformance body as a pal_process_create child (its own loader).
set(PAL_CONF_CHILD ${CMAKE_CURRENT_BINARY_DIR}/pal_conformance_child)
sabot_child_loader(pal_conformance_child OUTPUT ${PAL_CONF_CHILD}
                   CORE ${PAL_CONF_LINUX_CORE} CORE_TARGET pal_conformance_linux_core)

# Skeleton PAL: link-only proof that pal.h is the whole contract. A static
# executable with no libc fails to link if any pal.h call is missing.
set(PAL_CONF_SKELETON ${CMAKE_CURRENT_BINARY_DIR}/pal_conformance_skeleton)
add_custom_command(OUTPUT ${PAL_CONF_SKELETON}
  COMMAND ${CMAKE_C_COMPILER} -nostdlib -static -Wl,--entry=libos_start
          -Wl,--whole-archive $<TARGET_FILE:pal_conformance> $<TARGET_FILE:pal_skeleton>
          -Wl,--no-whole-archive -o ${PAL_CONF_SKELETON}
  DEPENDS pal_conformance pal_skeleton
  COMMENT "Linking conformance against the skeleton PAL (link-only)"
  VERBATIM)
add_custom_target(pal_conformance_skeleton ALL DEPENDS ${PAL_CONF_SKELETON})

# The scratch dir is recreated per run, with the one fixture the PAL cannot
# make itself (a dangling symlink "link" -> "target").
set(PAL_CONF_SCRATCH ${CMAKE_CURRENT_BINARY_DIR}/pal_conformance_scratch)
add_test(NAME pal_conformance_linux
         COMMAND sh -c "rm -rf \"$1\" && mkdir -p \"$1\" && ln -s target \"$1/link\" && exec \"$0\" \"$1\" \"$2\""
                 $<TARGET_FILE:pal_conformance_linux> ${PAL_CONF_SCRATCH} ${PAL_CONF_CHILD})
set_tests_properties(pal_conformance_linux PROPERTIES FAIL_REGULAR_EXPRESSION "not ok" TIMEOUT 60)

# No symbol of the PAL + body may resolve to the host libc: any stray libc
# call would run with the app's %fs and outside the syscall region. Allowed:
# the GOT symbol, ld.so's weak _r_debug (debugger interface) and libgcc's
# pure arithmetic helpers.
add_test(NAME pal_conformance_linux_no_libc
         COMMAND sh -c "u=$(nm -u \"$0\" | awk '{print $NF}' | grep -Ev '^(_GLOBAL_OFFSET_TABLE_|_DYNAMIC|__(popcount|clz|ctz|ffs|parity|u?div|u?mod)[a-z]*[0-9])$'); if [ -n \"$u\" ]; then echo undefined: $u; exit 1; fi"
                 ${PAL_CONF_LINUX_CORE})
