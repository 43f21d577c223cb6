# The manifest's [sys] limits enforced by the libos (tests/limits/limits.c),
# each run under sabot with a manifest and natively under the matching
# `ulimit` where Linux has one (Linux is the spec).
set(LIM_SRC ${CMAKE_CURRENT_LIST_DIR})
set(LIM_PROG ${CMAKE_CURRENT_BINARY_DIR}/limits/limits)
find_program(LIM_MUSL_GCC musl-gcc)
if(LIM_MUSL_GCC)
  set(LIM_CC ${LIM_MUSL_GCC} -static)
else()
  set(LIM_CC gcc -static -no-pie)
endif()
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/limits)
add_custom_command(OUTPUT ${LIM_PROG}
  COMMAND ${LIM_CC} -O1 -g -Wall -o ${LIM_PROG} ${LIM_SRC}/limits.c -lpthread
  DEPENDS ${LIM_SRC}/limits.c
  COMMENT "Building test program limits"
  VERBATIM)
add_custom_target(limits_programs ALL DEPENDS ${LIM_PROG})

# lim_test(name rc expect toml ulimit args...): a sabot run with the manifest
# lines toml (none when "-"), and a native one when ulimit is not "-".
function(lim_test name rc expect toml ulim)
  if(NOT toml STREQUAL "-")
    add_test(NAME limits_${name}
             COMMAND ${LIM_SRC}/run_limits.sh $<TARGET_FILE:sabot> ${LIM_PROG}
                     ${CMAKE_CURRENT_BINARY_DIR}/limits/${name} ${rc} "${expect}" "${toml}" ""
                     -- ${ARGN})
  endif()
  if(NOT ulim STREQUAL "-")
    add_test(NAME limits_${name}_native
             COMMAND ${LIM_SRC}/run_limits.sh native ${LIM_PROG}
                     ${CMAKE_CURRENT_BINARY_DIR}/limits/${name}_native ${rc} "${expect}" "" "${ulim}"
                     -- ${ARGN})
  endif()
endfunction()

lim_test(memory 0 "memory ok" "[sys]\\nmemory = \"64M\"" "-v 70000" memory 64)
lim_test(brk 0 "brk ok" "[sys]\\nbrk = \"1M\"" "-d 1024" brk 1024)
lim_test(threads 0 "threads ok" "[sys]\\nthreads = 4" - threads 4)
# uid 0 inside the sandbox still cannot raise a manifest limit.
lim_test(files 0 "files ok" "[loader]\\nenv_passthrough = [\"*\"]\\nuid = 0\\n[sys]\\nopen_files = 16" -
         files 16 raise-eperm)
lim_test(files_linux 0 "files ok" - "-n 16" files 16 raise-skip)
lim_test(stack 0 "recursed 128 KiB (1)" "[sys]\\nstack = \"256K\"" "-s 256" stack 128)
lim_test(stack_limit 0 "stack limit 256 KiB" "[sys]\\nstack = \"256K\"" "-s 256" stack 128)
lim_test(stack_overflow 139 "stack limit 256 KiB" "[sys]\\nstack = \"256K\"" "-s 256" stack 1024)
lim_test(bigmap 0 "bigmap ok" "# no limits" "-v unlimited" bigmap)
set_tests_properties(limits_bigmap PROPERTIES TIMEOUT 20)
lim_test(ids 0 "uid=1234 euid=1234 gid=99 egid=99" "[loader]\\nuid = 1234\\ngid = 99" - ids)
