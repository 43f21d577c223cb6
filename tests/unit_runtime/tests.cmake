# Runtime: option parsing, default manifest, program lookup (CMocka, no
# PAL needed) and the `sabot` command's error paths (CTest).
set(RT_DIR ${CMAKE_CURRENT_LIST_DIR})

add_executable(unit_runtime ${RT_DIR}/test_runtime.c)
target_compile_options(unit_runtime PRIVATE ${SABOT_HOSTED_FLAGS})
target_link_libraries(unit_runtime PRIVATE sabot_front cmocka)
add_test(NAME unit_runtime COMMAND unit_runtime)

set(RT_EXPECT ${RT_DIR}/expect.sh)
set(RT_DATA ${RT_DIR}/data)
function(rt_cli_test name exit_code stderr_re)
  add_test(NAME runtime_cli_${name}
           COMMAND ${RT_EXPECT} ${exit_code} ${stderr_re} ${ARGN})
endfunction()

rt_cli_test(no_command 2 "missing command \\(run or manifest\\)" -- $<TARGET_FILE:sabot>)
rt_cli_test(bad_command 2 "unknown command 'frobnicate'" -- $<TARGET_FILE:sabot> frobnicate)
rt_cli_test(bad_option 2 "unknown option '--bogus'" --
            $<TARGET_FILE:sabot> run --bogus -- /bin/true)
rt_cli_test(bad_log_level 2 "unknown log level 'loud'" --
            $<TARGET_FILE:sabot> run --log-level loud -- /bin/true)
rt_cli_test(missing_option_value 2 "option -m needs a file name" --
            $<TARGET_FILE:sabot> run -m)
rt_cli_test(nothing_to_run 2 "nothing to run" -- $<TARGET_FILE:sabot> run)
rt_cli_test(missing_manifest 2
            "cannot read manifest '/nonexistent/m.toml': No such file or directory" --
            $<TARGET_FILE:sabot> run -m /nonexistent/m.toml -- /bin/true)
rt_cli_test(manifest_is_dir 2 "cannot read manifest '${RT_DATA}': Is a directory" --
            $<TARGET_FILE:sabot> run -m ${RT_DATA} -- /bin/true)
rt_cli_test(bad_manifest_syntax 2 "^sabot: ${RT_DATA}/bad_syntax.toml:3:8: unterminated array$" --
            $<TARGET_FILE:sabot> run -m ${RT_DATA}/bad_syntax.toml -- /bin/true)
rt_cli_test(bad_manifest_key 2 "^sabot: ${RT_DATA}/bad_key.toml:5:1: fs.no_such_key: unknown key$" --
            $<TARGET_FILE:sabot> run -m ${RT_DATA}/bad_key.toml)
rt_cli_test(no_entrypoint 2 "no program to run" --
            $<TARGET_FILE:sabot> run -m ${RT_DATA}/no_entry.toml)
rt_cli_test(command_not_found 2 "no-such-command-xyz: command not found in PATH" --
            $<TARGET_FILE:sabot> run -- no-such-command-xyz)
rt_cli_test(relative_missing 2 "./no-such-file: No such file or directory" --
            $<TARGET_FILE:sabot> run -- ./no-such-file)
rt_cli_test(bad_trace_file 2 "cannot open trace file '/nonexistent/t': No such file" --
            $<TARGET_FILE:sabot> run --trace=/nonexistent/t -- /bin/true)
rt_cli_test(check_bad 2 "^sabot: ${RT_DATA}/bad_syntax.toml:3:8: " --
            $<TARGET_FILE:sabot> check -m ${RT_DATA}/bad_syntax.toml)
rt_cli_test(check_needs_manifest 2 "check needs a manifest" -- $<TARGET_FILE:sabot> check)
rt_cli_test(check_good 0 EMPTY "good.toml: ok" --
            $<TARGET_FILE:sabot> check -m ${RT_DATA}/good.toml)
# `sabot manifest check|show` (issue 6).
rt_cli_test(manifest_check_good 0 EMPTY "good.toml: ok" --
            $<TARGET_FILE:sabot> manifest check ${RT_DATA}/good.toml)
rt_cli_test(manifest_check_bad 2 "^sabot: ${RT_DATA}/bad_key.toml:5:1: fs.no_such_key: unknown key$" --
            $<TARGET_FILE:sabot> manifest check ${RT_DATA}/bad_key.toml)
rt_cli_test(manifest_check_missing_source 2
            "^sabot: ${RT_DATA}/missing_source.toml:8:10: fs.mounts\\[1\\].source: host directory /nonexistent/sabot-test-dir does not exist$" --
            $<TARGET_FILE:sabot> manifest check ${RT_DATA}/missing_source.toml)
rt_cli_test(run_missing_source 2 "missing_source.toml:8:10: fs.mounts\\[1\\].source: host directory" --
            $<TARGET_FILE:sabot> run -m ${RT_DATA}/missing_source.toml -- /bin/true)
rt_cli_test(manifest_check_insecure 0
            "^sabot: warning: ${RT_DATA}/insecure.toml:7:1: sys.insecure__no_landlock: no Landlock" "ok" --
            $<TARGET_FILE:sabot> manifest check ${RT_DATA}/insecure.toml)
rt_cli_test(manifest_usage 2 "sabot manifest needs 'check FILE' or 'show \\[FILE\\]'" --
            $<TARGET_FILE:sabot> manifest)
rt_cli_test(manifest_show_good 0 EMPTY "^entrypoint = \"/bin/true\"$" --
            $<TARGET_FILE:sabot> manifest show ${RT_DATA}/good.toml)
add_test(NAME runtime_manifest_show_default
         COMMAND ${RT_DIR}/manifest_show.sh $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR}/rt_show_default)
add_test(NAME runtime_manifest_show_file
         COMMAND ${RT_DIR}/manifest_show.sh $<TARGET_FILE:sabot> ${CMAKE_CURRENT_BINARY_DIR}/rt_show_file
                 ${SABOT_ROOT}/tests/fuzz/corpus_manifest/full-sys.toml)
rt_cli_test(version 0 EMPTY "^sabot [0-9]+\\.[0-9]+\\.[0-9]+$" -- $<TARGET_FILE:sabot> --version)
rt_cli_test(help 0 EMPTY "^usage: sabot run" -- $<TARGET_FILE:sabot> --help)

# gdb must not see a `main` in sabot: `break main` is for the app.
find_program(RT_GDB gdb)
if(RT_GDB)
  add_test(NAME runtime_no_main_symbol
           COMMAND ${RT_EXPECT} 0 "Function \"main\" not defined" --
                   ${RT_GDB} -nx -batch -ex "break main" $<TARGET_FILE:sabot>)
  add_test(NAME runtime_gdb_info_functions
           COMMAND ${RT_DIR}/gdb_no_main.sh ${RT_GDB} $<TARGET_FILE:sabot>)
  # Auto-loading from the build tree sets up SIGSYS handling.
  add_test(NAME runtime_gdb_autoload
           COMMAND ${RT_EXPECT} 0 "" "SIGSYS +No\tNo\tYes" --
                   ${RT_GDB} -nx -batch -iex "add-auto-load-safe-path ${CMAKE_BINARY_DIR}"
                   -ex "info signals SIGSYS" $<TARGET_FILE:sabot>)
endif()

# The embedding API against the real core (forks and runs /bin/true, false).
add_executable(runtime_api ${RT_DIR}/test_api.c)
target_compile_options(runtime_api PRIVATE ${SABOT_HOSTED_FLAGS})
target_link_libraries(runtime_api PRIVATE libsabot)
add_test(NAME runtime_api COMMAND runtime_api)

# The sandbox plan: Landlock ports from overlapping ranges, the seccomp
# allowlist compiled at build time.
add_executable(unit_sandbox ${RT_DIR}/test_sandbox.c)
target_compile_options(unit_sandbox PRIVATE ${SABOT_HOSTED_FLAGS})
target_include_directories(unit_sandbox PRIVATE ${SABOT_ROOT}/runtime)
target_link_libraries(unit_sandbox PRIVATE libsabot cmocka)
add_test(NAME unit_sandbox COMMAND unit_sandbox)
