# Manifest parser unit tests (CMocka, hosted). Each test program is built
# twice: plain, and with ASan/UBSan so memory errors in the parser fail the
# test even when SABOT_SANITIZE is off.
pkg_check_modules(SABOT_CMOCKA REQUIRED cmocka)

set(SABOT_MANIFEST_UNIT_SOURCES
    ${SABOT_ROOT}/libos/manifest/toml.c
    ${SABOT_ROOT}/libos/manifest/manifest.c
    ${SABOT_ROOT}/libos/lib/fmt.c
    ${SABOT_ROOT}/libos/lib/strutil.c
    ${SABOT_ROOT}/runtime/libos_hosted.c)

foreach(prog toml manifest)
  foreach(variant "" "_asan")
    set(t unit_${prog}${variant})
    add_executable(${t} ${CMAKE_CURRENT_LIST_DIR}/test_${prog}.c
                   ${SABOT_MANIFEST_UNIT_SOURCES})
    target_include_directories(${t} PRIVATE ${LIBOS_INCLUDE} ${PAL_INCLUDE})
    target_compile_definitions(${t} PRIVATE
        SABOT_MANIFEST_DIR="${SABOT_ROOT}/manifests"
        SABOT_UNIT_MANIFEST_DIR="${CMAKE_CURRENT_LIST_DIR}")
    target_compile_options(${t} PRIVATE ${SABOT_HOSTED_FLAGS})
    target_link_libraries(${t} PRIVATE ${SABOT_CMOCKA_LIBRARIES} ${SABOT_HOSTED_LINK})
    if(variant STREQUAL "_asan")
      target_compile_options(${t} PRIVATE -fsanitize=address,undefined
                             -fno-sanitize-recover=all -fno-omit-frame-pointer)
      target_link_options(${t} PRIVATE -fsanitize=address,undefined)
    endif()
    add_test(NAME ${t} COMMAND ${t})
  endforeach()
endforeach()
