# sabot_link_core(<target> OUTPUT <file.o> KEEP <sym>... LIBS <target>...)
# Links freestanding archives into one relocatable object and makes every
# symbol local except KEEP, so the libos's own memcpy & co. never clash with
# the hosted runtime's libc. <target> is a custom target producing OUTPUT.
function(sabot_link_core target)
  cmake_parse_arguments(C "" "OUTPUT" "KEEP;LIBS" ${ARGN})
  set(files)
  foreach(l ${C_LIBS})
    list(APPEND files $<TARGET_FILE:${l}>)
  endforeach()
  set(keep)
  foreach(s ${C_KEEP})
    list(APPEND keep --keep-global-symbol=${s})
  endforeach()
  add_custom_command(OUTPUT ${C_OUTPUT}
    COMMAND ld -r -T ${SABOT_ROOT}/cmake/fork_hot.ld --whole-archive ${files} -o ${C_OUTPUT}.tmp
    COMMAND objcopy ${keep} ${C_OUTPUT}.tmp ${C_OUTPUT}
    DEPENDS ${C_LIBS} ${SABOT_ROOT}/cmake/fork_hot.ld
    COMMENT "Linking ${target}"
    VERBATIM)
  add_custom_target(${target} DEPENDS ${C_OUTPUT})
  set_source_files_properties(${C_OUTPUT} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
endfunction()

# sabot_child_loader(<target> OUTPUT <exe> CORE <core.o> CORE_TARGET <t>)
# The static loader pal_process_create runs for a new instance on the Linux
# PAL: pal/linux/child/ + a core object, no libc, linked at a fixed address
# with the PAL syscall region first, so that the region is the same in
# every child (seccomp filters inherited across execve test it by address).
set(SABOT_CHILD_BASE 0x200000000000)
function(sabot_child_loader target)
  cmake_parse_arguments(C "" "OUTPUT;CORE;CORE_TARGET" "" ${ARGN})
  set(dir ${SABOT_ROOT}/pal/linux/child)
  add_library(${target}_entry STATIC ${dir}/start.S ${dir}/main.c)
  target_include_directories(${target}_entry PRIVATE ${SABOT_ROOT}/pal/linux)
  target_compile_options(${target}_entry PRIVATE ${SABOT_FREESTANDING_FLAGS})
  add_custom_command(OUTPUT ${C_OUTPUT}
    COMMAND ${CMAKE_C_COMPILER} -nostdlib -static -no-pie
            -Wl,-T,${dir}/child.ld -Wl,--build-id=none -Wl,--no-relax
            -Wl,--whole-archive $<TARGET_FILE:${target}_entry> -Wl,--no-whole-archive
            ${C_CORE} -lgcc -o ${C_OUTPUT}
    DEPENDS ${target}_entry ${C_CORE_TARGET} ${C_CORE} ${dir}/child.ld
    COMMENT "Linking the child loader ${target}"
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS ${C_OUTPUT})
endfunction()
