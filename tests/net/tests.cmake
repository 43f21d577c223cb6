# Pipes and sockets (tests/net): each program built static musl and static
# glibc, run natively (checks the program against Linux) and under sabot
# with a manifest granting only loopback 127.0.0.1/[::1] (run_net.sh).
set(SABOT_NET_DIR ${CMAKE_CURRENT_BINARY_DIR}/net)
file(MAKE_DIRECTORY ${SABOT_NET_DIR})
find_program(SABOT_NET_MUSL_GCC musl-gcc)
find_program(SABOT_NET_GCC gcc)
set(SABOT_NET_FLAVOURS)
if(SABOT_NET_MUSL_GCC)
  list(APPEND SABOT_NET_FLAVOURS musl)
endif()
if(SABOT_NET_GCC)
  list(APPEND SABOT_NET_FLAVOURS glibc)
endif()

set(SABOT_NET_OUTPUTS)
foreach(p net_basic)
  foreach(f ${SABOT_NET_FLAVOURS})
    set(out ${SABOT_NET_DIR}/${p}-${f})
    if(f STREQUAL "musl")
      set(cc ${SABOT_NET_MUSL_GCC} -static)
    else()
      set(cc ${SABOT_NET_GCC} -static -no-pie)
    endif()
    add_custom_command(OUTPUT ${out}
      COMMAND ${cc} -O1 -g -Wall -Wextra -Wno-unused-parameter -o ${out}
              ${CMAKE_CURRENT_LIST_DIR}/${p}.c
      DEPENDS ${CMAKE_CURRENT_LIST_DIR}/${p}.c
      COMMENT "Building test program ${p}-${f}" VERBATIM)
    list(APPEND SABOT_NET_OUTPUTS ${out})
    add_test(NAME net.native.${p}.${f}
      COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/run_net.sh --workdir ${SABOT_NET_DIR}/work/native.${p}.${f}
              -- ${out} @WORK@)
    set_tests_properties(net.native.${p}.${f} PROPERTIES TIMEOUT 90 LABELS "net;native")
    if(TARGET sabot)
      add_test(NAME net.${p}.${f}
        COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/run_net.sh --sabot $<TARGET_FILE:sabot>
                --workdir ${SABOT_NET_DIR}/work/sabot.${p}.${f}
                --expect-log "denied: connect to 127.0.0.2:9; to allow it: net.connect"
                --expect-log "denied: send to 127.0.0.2:9; to allow it: net.connect"
                --expect-log "denied: bind 127.0.0.3:0; to allow it: net.bind"
                -- ${out} @WORK@ --policy)
      set_tests_properties(net.${p}.${f} PROPERTIES TIMEOUT 90 LABELS "net;sabot")
    endif()
  endforeach()
endforeach()
add_custom_target(net_programs ALL DEPENDS ${SABOT_NET_OUTPUTS})
