# VFS unit tests: the libos file code compiled hosted against a fake PAL
# (fake_pal.c, libc over a temporary directory).
find_library(CMOCKA_LIBRARY cmocka)
if(NOT CMOCKA_LIBRARY)
  message(WARNING "cmocka not found: unit_vfs tests skipped")
  return()
endif()
file(GLOB UNIT_VFS_LIBOS_SOURCES CONFIGURE_DEPENDS ${SABOT_ROOT}/libos/fs/*.c)
# Anonymous files need threads and signals (libos/thread.c): not VFS units.
list(FILTER UNIT_VFS_LIBOS_SOURCES EXCLUDE REGEX "/(eventfd|signalfd|timerfd|inotify|procfs|sysfs|pseudo)\\.c$")
add_executable(test_unit_vfs
  ${CMAKE_CURRENT_LIST_DIR}/test_vfs.c
  ${CMAKE_CURRENT_LIST_DIR}/fake_pal.c
  ${CMAKE_CURRENT_LIST_DIR}/host_helpers.c
  ${CMAKE_CURRENT_LIST_DIR}/test_support.c
  ${UNIT_VFS_LIBOS_SOURCES}
  ${SABOT_ROOT}/libos/sys/fs.c
  ${SABOT_ROOT}/libos/lib/pal_errno.c
  ${SABOT_ROOT}/libos/lib/lock.c
  ${SABOT_ROOT}/libos/lib/fmt.c
  ${SABOT_ROOT}/libos/lib/strutil.c
  ${SABOT_ROOT}/runtime/libos_hosted.c)
target_include_directories(test_unit_vfs PRIVATE ${LIBOS_INCLUDE} ${PAL_INCLUDE}
                           ${CMAKE_CURRENT_LIST_DIR})
target_compile_options(test_unit_vfs PRIVATE ${SABOT_HOSTED_FLAGS} -fno-builtin-snprintf)
target_link_libraries(test_unit_vfs PRIVATE ${CMOCKA_LIBRARY} ${SABOT_HOSTED_LINK})
add_test(NAME unit_vfs COMMAND test_unit_vfs)
set_tests_properties(unit_vfs PROPERTIES LABELS unit TIMEOUT 60)

# The libos heap (libos/lib/malloc.c) over the same fake PAL.
add_executable(test_unit_heap
  ${CMAKE_CURRENT_LIST_DIR}/test_heap.c
  ${CMAKE_CURRENT_LIST_DIR}/fake_pal.c
  ${SABOT_ROOT}/libos/lib/malloc.c
  ${SABOT_ROOT}/libos/lib/lock.c)
target_include_directories(test_unit_heap PRIVATE ${LIBOS_INCLUDE} ${PAL_INCLUDE}
                           ${CMAKE_CURRENT_LIST_DIR})
target_compile_options(test_unit_heap PRIVATE ${SABOT_HOSTED_FLAGS})
target_link_libraries(test_unit_heap PRIVATE ${CMOCKA_LIBRARY} ${SABOT_HOSTED_LINK})
add_test(NAME unit_heap COMMAND test_unit_heap)
set_tests_properties(unit_heap PROPERTIES LABELS unit TIMEOUT 60)
