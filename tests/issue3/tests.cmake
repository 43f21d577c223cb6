# Issue 3 showcase tests: threads and futexes, timed waits, signals, event
# loops, sockets and busybox as a network program. Each C program is built
# static musl, static glibc and static-pie glibc (like the integration
# programs) and takes a subtest name; every subtest runs natively (label
# native: checks the test against Linux) and under sabot (label sabot).
set(SABOT_I3_DIR ${CMAKE_CURRENT_BINARY_DIR}/issue3)
set(SABOT_I3_SRC ${CMAKE_CURRENT_LIST_DIR})
set(SABOT_I3_CFLAGS -O1 -g -Wall -Wextra -Wno-unused-parameter -Wno-format-truncation)
find_program(SABOT_I3_MUSL_GCC musl-gcc)
find_program(SABOT_I3_GCC gcc)
set(SABOT_I3_FLAVOURS)
if(SABOT_I3_MUSL_GCC)
  list(APPEND SABOT_I3_FLAVOURS musl)
endif()
if(SABOT_I3_GCC)
  list(APPEND SABOT_I3_FLAVOURS glibc glibc-pie)
endif()
file(MAKE_DIRECTORY ${SABOT_I3_DIR})

set(SABOT_I3_OUTPUTS)
function(sabot_i3_build name flavour)
  set(out ${SABOT_I3_DIR}/${name}-${flavour})
  if(flavour STREQUAL "musl")
    set(cc ${SABOT_I3_MUSL_GCC} -static)
  elseif(flavour STREQUAL "glibc")
    set(cc ${SABOT_I3_GCC} -static -no-pie)
  else()
    set(cc ${SABOT_I3_GCC} -static-pie -fPIE)
  endif()
  add_custom_command(OUTPUT ${out}
    COMMAND ${cc} ${SABOT_I3_CFLAGS} -I${SABOT_I3_SRC} -I${SABOT_I3_SRC}/../integration
            -o ${out} ${SABOT_I3_SRC}/${name}.c -lpthread
    DEPENDS ${SABOT_I3_SRC}/${name}.c ${SABOT_I3_SRC}/i3.h ${SABOT_I3_SRC}/../integration/check.h
    COMMENT "Building issue 3 test program ${name}-${flavour}"
    VERBATIM)
  set(SABOT_I3_OUTPUTS ${SABOT_I3_OUTPUTS} ${out} PARENT_SCOPE)
endfunction()

set(SABOT_I3_PROGRAMS futex condtime signals evloop net)
foreach(p ${SABOT_I3_PROGRAMS})
  foreach(f ${SABOT_I3_FLAVOURS})
    sabot_i3_build(${p} ${f})
  endforeach()
endforeach()
# The native peer of the busybox tests (host program, never under sabot).
if(SABOT_I3_GCC)
  set(SABOT_I3_PEER ${SABOT_I3_DIR}/peer)
  add_custom_command(OUTPUT ${SABOT_I3_PEER}
    COMMAND ${SABOT_I3_GCC} -O1 -Wall -Wextra -o ${SABOT_I3_PEER} ${SABOT_I3_SRC}/peer.c
    DEPENDS ${SABOT_I3_SRC}/peer.c
    COMMENT "Building the issue 3 native peer"
    VERBATIM)
  list(APPEND SABOT_I3_OUTPUTS ${SABOT_I3_PEER})
endif()
add_custom_target(issue3_programs ALL DEPENDS ${SABOT_I3_OUTPUTS})

# sabot_i3_add(<name> <program> [NET] [RC n] [TIMEOUT s] [LINE text]... ARGS args...):
# tests issue3.<name> (sabot) and issue3.native.<name>.
function(sabot_i3_add name prog)
  cmake_parse_arguments(T "NET" "RC;TIMEOUT" "LINE;ARGS" ${ARGN})
  set(opts --rc 0)
  if(DEFINED T_RC)
    set(opts --rc ${T_RC})
  endif()
  foreach(l ${T_LINE})
    list(APPEND opts --line ${l})
  endforeach()
  if(NOT DEFINED T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  foreach(mode native sabot)
    if(mode STREQUAL "sabot")
      if(NOT TARGET sabot)
        continue()
      endif()
      set(runner --sabot $<TARGET_FILE:sabot>)
      if(T_NET)
        list(APPEND runner --net)
      endif()
      set(tname issue3.${name})
    else()
      set(runner)
      set(tname issue3.native.${name})
    endif()
    add_test(NAME ${tname}
      COMMAND sh ${SABOT_I3_SRC}/run3.sh ${runner} --workdir ${SABOT_I3_DIR}/work/${tname}
              ${opts} -- ${prog} ${T_ARGS})
    set_tests_properties(${tname} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "issue3;${mode}")
  endforeach()
endfunction()

foreach(f ${SABOT_I3_FLAVOURS})
  set(bin ${SABOT_I3_DIR})
  # 64 threads, 1e6 ping-pongs each way of handing off (raw futex, pthread).
  # The static-pie build differs only in loading: it skips these two.
  if(NOT f STREQUAL "glibc-pie")
    foreach(t race pthread)
      sabot_i3_add(futex.${t}.${f} ${bin}/futex-${f} TIMEOUT 300 LINE "futex: ALL OK"
                   ARGS ${t} 1000000)
      # They load every core: run them alone so timing checks elsewhere
      # are not starved.
      set_tests_properties(issue3.futex.${t}.${f} issue3.native.futex.${t}.${f}
                           PROPERTIES RUN_SERIAL TRUE)
    endforeach()
  endif()
  foreach(t requeue wakeop bitset timeout shared)
    sabot_i3_add(futex.${t}.${f} ${bin}/futex-${f} LINE "futex: ALL OK" ARGS ${t})
  endforeach()
  foreach(t single staggered signalled mutex_sem)
    sabot_i3_add(condtime.${t}.${f} ${bin}/condtime-${f} LINE "condtime: ALL OK" ARGS ${t})
  endforeach()
  foreach(t thread route altstack overflow restart suspend wait flags segv faults)
    sabot_i3_add(signals.${t}.${f} ${bin}/signals-${f} LINE "signals: ALL OK" ARGS ${t})
  endforeach()
  # Default action of SIGTERM: killed, status 128 + 15.
  sabot_i3_add(signals.term.${f} ${bin}/signals-${f} RC 143 LINE "raising SIGTERM" ARGS term)
  foreach(t basic order loop modes pwait)
    sabot_i3_add(evloop.${t}.${f} ${bin}/evloop-${f} LINE "evloop: ALL OK" ARGS ${t})
  endforeach()
  foreach(t tcp tcpopts udp unix)
    sabot_i3_add(net.${t}.${f} ${bin}/net-${f} NET LINE "net: ALL OK" ARGS ${t})
  endforeach()
endforeach()

# Signals sent from the host (outside sabot) reach the program's handler.
if(SABOT_I3_FLAVOURS)
  list(GET SABOT_I3_FLAVOURS 0 f)
  foreach(sig TERM INT HUP)
    foreach(mode native sabot)
      if(mode STREQUAL "sabot")
        if(NOT TARGET sabot)
          continue()
        endif()
        set(runner --sabot $<TARGET_FILE:sabot>)
        set(tname issue3.hostsig.${sig})
      else()
        set(runner)
        set(tname issue3.native.hostsig.${sig})
      endif()
      add_test(NAME ${tname}
        COMMAND sh ${SABOT_I3_SRC}/hostsig.sh ${runner} ${SABOT_I3_DIR}/work/${tname}
                ${SABOT_I3_DIR}/signals-${f} ${sig})
      set_tests_properties(${tname} PROPERTIES TIMEOUT 60 LABELS "issue3;${mode}")
    endforeach()
  endforeach()
endif()

# Debian's busybox with network peers outside sabot.
find_program(SABOT_I3_BUSYBOX busybox PATHS /bin /usr/bin NO_DEFAULT_PATH)
if(SABOT_I3_BUSYBOX AND SABOT_I3_GCC AND TARGET sabot)
  foreach(c httpd nc_client nc_server nc_denied)
    foreach(mode native sabot)
      if(mode STREQUAL "sabot")
        set(native)
        set(tname issue3.busybox.${c})
      elseif(c STREQUAL "nc_denied")
        continue() # sabot's policy: nothing to compare natively
      else()
        set(native --native)
        set(tname issue3.native.busybox.${c})
      endif()
      add_test(NAME ${tname}
        COMMAND sh ${SABOT_I3_SRC}/busybox_net.sh ${native} $<TARGET_FILE:sabot>
                ${SABOT_I3_BUSYBOX} ${SABOT_I3_PEER} ${SABOT_I3_DIR}/work/${tname} ${c})
      set_tests_properties(${tname} PROPERTIES TIMEOUT 120 LABELS "issue3;${mode};busybox")
    endforeach()
  endforeach()
endif()
