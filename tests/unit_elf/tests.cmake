# ELF loader unit tests: libos/elf.c and the memory code compiled hosted
# against the fake PAL of the VFS tests, loading real executables.
find_library(CMOCKA_LIBRARY cmocka)
if(NOT CMOCKA_LIBRARY)
  message(WARNING "cmocka not found: unit_elf tests skipped")
  return()
endif()
set(UNIT_ELF_DIR ${CMAKE_CURRENT_BINARY_DIR}/unit_elf)
file(MAKE_DIRECTORY ${UNIT_ELF_DIR})
add_custom_command(OUTPUT ${UNIT_ELF_DIR}/static ${UNIT_ELF_DIR}/spie ${UNIT_ELF_DIR}/dyn
  COMMAND ${CMAKE_C_COMPILER} -static -O1 -o ${UNIT_ELF_DIR}/static ${CMAKE_CURRENT_LIST_DIR}/prog.c
  COMMAND ${CMAKE_C_COMPILER} -static-pie -O1 -o ${UNIT_ELF_DIR}/spie ${CMAKE_CURRENT_LIST_DIR}/prog.c
  COMMAND ${CMAKE_C_COMPILER} -O1 -o ${UNIT_ELF_DIR}/dyn ${CMAKE_CURRENT_LIST_DIR}/prog.c
  DEPENDS ${CMAKE_CURRENT_LIST_DIR}/prog.c)
add_custom_target(unit_elf_programs ALL DEPENDS ${UNIT_ELF_DIR}/static)

file(GLOB UNIT_ELF_FS_SOURCES CONFIGURE_DEPENDS ${SABOT_ROOT}/libos/fs/*.c)
# Anonymous files need threads and signals (libos/thread.c): not needed here.
list(FILTER UNIT_ELF_FS_SOURCES EXCLUDE REGEX "/(eventfd|signalfd|timerfd|inotify|procfs|sysfs|pseudo)\\.c$")
add_executable(test_unit_elf
  ${CMAKE_CURRENT_LIST_DIR}/test_elf.c
  ${CMAKE_CURRENT_LIST_DIR}/elf_host.c
  ${CMAKE_CURRENT_LIST_DIR}/../unit_vfs/fake_pal.c
  ${UNIT_ELF_FS_SOURCES}
  ${SABOT_ROOT}/libos/elf.c
  ${SABOT_ROOT}/libos/mm/vma.c
  ${SABOT_ROOT}/libos/mm/shared.c
  ${SABOT_ROOT}/libos/sys/mm.c
  ${SABOT_ROOT}/libos/sys/fs.c
  ${SABOT_ROOT}/libos/lib/pal_errno.c
  ${SABOT_ROOT}/libos/lib/lock.c
  ${SABOT_ROOT}/libos/lib/fmt.c
  ${SABOT_ROOT}/libos/lib/strutil.c
  ${SABOT_ROOT}/runtime/libos_hosted.c)
add_dependencies(test_unit_elf unit_elf_programs)
target_include_directories(test_unit_elf PRIVATE ${LIBOS_INCLUDE} ${PAL_INCLUDE}
                           ${CMAKE_CURRENT_LIST_DIR} ${CMAKE_CURRENT_LIST_DIR}/../unit_vfs)
target_compile_definitions(test_unit_elf PRIVATE ELF_STATIC="${UNIT_ELF_DIR}/static"
                           ELF_SPIE="${UNIT_ELF_DIR}/spie" ELF_DYN="${UNIT_ELF_DIR}/dyn")
target_compile_options(test_unit_elf PRIVATE ${SABOT_HOSTED_FLAGS} -fno-builtin-snprintf)
target_link_libraries(test_unit_elf PRIVATE ${CMOCKA_LIBRARY} ${SABOT_HOSTED_LINK})
add_test(NAME unit_elf COMMAND test_unit_elf)
set_tests_properties(unit_elf PROPERTIES LABELS unit TIMEOUT 60)
