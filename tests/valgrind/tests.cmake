# Memcheck over the hosted unit tests (the sanitizer build covers the same
# code with ASan/UBSan; valgrind also sees uninitialised reads).
find_program(VALGRIND valgrind)
if(NOT VALGRIND OR SABOT_SANITIZE)
  return()
endif()
foreach(t test_unit_vfs test_unit_elf unit_toml unit_manifest unit_runtime)
  if(TARGET ${t})
    add_test(NAME valgrind.${t}
             COMMAND ${VALGRIND} --quiet --error-exitcode=99 --leak-check=full
                     --errors-for-leak-kinds=definite $<TARGET_FILE:${t}>)
    set_tests_properties(valgrind.${t} PROPERTIES LABELS valgrind TIMEOUT 300)
  endif()
endforeach()
