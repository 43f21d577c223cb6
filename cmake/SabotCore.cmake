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
    COMMAND ld -r --whole-archive ${files} -o ${C_OUTPUT}.tmp
    COMMAND objcopy ${keep} ${C_OUTPUT}.tmp ${C_OUTPUT}
    DEPENDS ${C_LIBS}
    COMMENT "Linking ${target}"
    VERBATIM)
  add_custom_target(${target} DEPENDS ${C_OUTPUT})
  set_source_files_properties(${C_OUTPUT} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
endfunction()
