# wasm.cmake: the WebAssembly module, web/rnnlab.wasm. CMakeLists.txt includes this file instead of the
# native targets when configured through Emscripten:
#
#     emcmake cmake -S . -B build-wasm -DCMAKE_BUILD_TYPE=Release && cmake --build build-wasm
#
# One standalone .wasm and no Emscripten JavaScript: web/rnnlab.js instantiates it itself, the same way in
# a page, a Worker and Node (Emscripten 3.1.6's glue fetches a file path under Node 20 and fails). The
# module holds the numeric core, the data layer and the adapter (web/wasm_*.c, with the record tables of
# web/wasm_records.c); it imports one no-op function (env.emscripten_notify_memory_growth) and exports the
# functions listed in web/lib/exports.js.

# --- Sources ------------------------------------------------------------------------------------------

# The data layer (core/src/data/*.c: tar reader, IMDB, tokenizer, datasets, CSV, baseline). It builds here
# without zlib (RNL_HAVE_ZLIB unset: gzip.c is only a stub that says so) and without files (RNL_NO_FILES):
# rnnlab.js inflates .tar.gz with the platform's DecompressionStream and feeds tar bytes in chunks.
if(NOT DEFINED RNL_WASM_DATA_SOURCES)
  set(RNL_WASM_DATA_SOURCES ${RNL_DATA_SOURCES})
endif()

# --- Exports: web/lib/exports.js, the one list (the wrapper checks the module against it at load) ---------

# The list is a JavaScript array of quoted C names with '//' comments; every quoted name in it is exported.
set(RNL_WASM_EXPORTS_FILE ${CMAKE_SOURCE_DIR}/web/lib/exports.js)
# Re-run the configure step when the list changes (the flag below is built from it).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${RNL_WASM_EXPORTS_FILE})
# Read whole (file(STRINGS) would hand back lines holding '[' as one unsplit list element).
file(READ ${RNL_WASM_EXPORTS_FILE} rnl_exports_js)
string(REGEX REPLACE "//[^\n]*" "" rnl_exports_js "${rnl_exports_js}")
string(REGEX MATCHALL "'[A-Za-z_][A-Za-z0-9_]*'" rnl_export_names "${rnl_exports_js}")
set(RNL_WASM_EXPORTS "")
foreach(name IN LISTS rnl_export_names)
  string(REPLACE "'" "" name "${name}")
  list(APPEND RNL_WASM_EXPORTS "_${name}")  # Emscripten names C symbols with a leading underscore
endforeach()
list(LENGTH RNL_WASM_EXPORTS rnl_export_count)
if(rnl_export_count LESS 20)
  message(FATAL_ERROR "web/lib/exports.js: found only ${rnl_export_count} exported names; is the list still quoted names?")
endif()
list(JOIN RNL_WASM_EXPORTS "," RNL_WASM_EXPORTS_CSV)

# --- The module ---------------------------------------------------------------------------------------

# "Use my implementation" (exercises/README.md): -DRNL_CELL_MATH=path/to/cell_math.c builds the module with a
# student's cells in place of core/src/cell_math.c, plus exercises/ex_todo.c (the EX_TODO counter) and
# RNL_CELL_EXTRA_SOURCES, as rnnlab-student.wasm; copied to RNL_WASM_COPY_TO (default web/student/rnnlab.wasm,
# build output like web/rnnlab.wasm). exercises/grade.mjs configures build-wasm-student/ this way.
set(RNL_CELL_MATH "" CACHE FILEPATH "A student's cell_math.c to build into the module instead of the reference")
# With it, -DRNL_ATTENTION_MATH=path/to/attention_math.c puts a student's attention (exercises 9-10) in place of
# core/src/attention_math.c too; unset, the module keeps the reference attention.
set(RNL_ATTENTION_MATH "" CACHE FILEPATH "A student's attention_math.c for a student build (with RNL_CELL_MATH)")
set(RNL_CELL_EXTRA_SOURCES "" CACHE STRING "More sources for a student build (';'-separated)")
set(RNL_WASM_CORE_SOURCES ${RNL_CORE_SOURCES})
set(RNL_WASM_NAME rnnlab)
set(RNL_WASM_DEFAULT_COPY ${CMAKE_SOURCE_DIR}/web/rnnlab.wasm)
if(RNL_CELL_MATH)
  get_filename_component(rnl_cell_math_abs "${RNL_CELL_MATH}" ABSOLUTE)
  if(NOT EXISTS "${rnl_cell_math_abs}")
    message(FATAL_ERROR "RNL_CELL_MATH: ${rnl_cell_math_abs} does not exist")
  endif()
  list(REMOVE_ITEM RNL_WASM_CORE_SOURCES ${CMAKE_SOURCE_DIR}/core/src/cell_math.c)
  set(rnl_student_sources ${rnl_cell_math_abs})
  if(RNL_ATTENTION_MATH)
    get_filename_component(rnl_attention_math_abs "${RNL_ATTENTION_MATH}" ABSOLUTE)
    if(NOT EXISTS "${rnl_attention_math_abs}")
      message(FATAL_ERROR "RNL_ATTENTION_MATH: ${rnl_attention_math_abs} does not exist")
    endif()
    list(REMOVE_ITEM RNL_WASM_CORE_SOURCES ${CMAKE_SOURCE_DIR}/core/src/attention_math.c)
    list(APPEND rnl_student_sources ${rnl_attention_math_abs})
  endif()
  set(RNL_WASM_NAME rnnlab-student)
  set(RNL_WASM_DEFAULT_COPY ${CMAKE_SOURCE_DIR}/web/student/rnnlab.wasm)
endif()
set(RNL_WASM_COPY_TO "${RNL_WASM_DEFAULT_COPY}" CACHE FILEPATH "Where the built module is copied (empty: nowhere)")

# The adapter: models and training (wasm_api.c), datasets (wasm_data.c), seq2seq models (wasm_s2s.c),
# Transformer encoders (wasm_transformer.c), the student build's TODO report (wasm_student.c), the inspection
# views (wasm_inspect.c), and the field tables of the records they pass (wasm_records.c).
set(RNL_WASM_ADAPTER_SOURCES ${CMAKE_SOURCE_DIR}/web/wasm_api.c ${CMAKE_SOURCE_DIR}/web/wasm_data.c
  ${CMAKE_SOURCE_DIR}/web/wasm_s2s.c ${CMAKE_SOURCE_DIR}/web/wasm_transformer.c ${CMAKE_SOURCE_DIR}/web/wasm_student.c
  ${CMAKE_SOURCE_DIR}/web/wasm_records.c ${CMAKE_SOURCE_DIR}/web/wasm_inspect.c)
# Two modules share every object but the kernel table (kernels.c): web/rnnlab.wasm (wasm_simd128) and, in
# the main build, web/rnnlab-relaxed.wasm (its table lists the relaxed-SIMD gemms too; see below). The
# compile flags live on one interface target, rnnlab_wasm_flags, that every part links.
set(rnl_kernel_table ${CMAKE_SOURCE_DIR}/core/src/kernels.c)
set(rnl_relaxed_kernels ${CMAKE_SOURCE_DIR}/core/src/kernels_wasm_relaxed.c)
list(REMOVE_ITEM RNL_WASM_CORE_SOURCES ${rnl_kernel_table} ${rnl_relaxed_kernels})
add_library(rnnlab_wasm_flags INTERFACE)
add_library(rnnlab_wasm_objects OBJECT ${RNL_WASM_CORE_SOURCES} ${RNL_WASM_DATA_SOURCES} ${RNL_WASM_ADAPTER_SOURCES})
add_executable(rnnlab_wasm ${rnl_kernel_table} $<TARGET_OBJECTS:rnnlab_wasm_objects>)
# build-wasm/rnnlab.wasm: with a .wasm output name emcc writes the module alone, no .js beside it.
set_target_properties(rnnlab_wasm PROPERTIES OUTPUT_NAME ${RNL_WASM_NAME} SUFFIX ".wasm")
foreach(t rnnlab_wasm_objects rnnlab_wasm)
  target_link_libraries(${t} PRIVATE rnnlab_wasm_flags)
  target_include_directories(${t} PRIVATE ${CMAKE_SOURCE_DIR}/core/include ${CMAKE_SOURCE_DIR}/core/src)
endforeach()
if(RNL_CELL_MATH)
  # ex_todo.h for wasm_student.c; RNL_STUDENT_CELLS turns on its rnlw_todo_* reports.
  target_include_directories(rnnlab_wasm_objects PRIVATE ${CMAKE_SOURCE_DIR}/exercises)
  target_compile_definitions(rnnlab_wasm_flags INTERFACE RNL_STUDENT_CELLS)
  # The student's files apart, with the module's flags but only the public headers (rnnlab_cell_math.h)
  # and exercises/ on their include path, as in the native grader: not core/src's internal.h.
  add_library(rnnlab_student_cells OBJECT ${rnl_student_sources} ${CMAKE_SOURCE_DIR}/exercises/ex_todo.c ${RNL_CELL_EXTRA_SOURCES})
  target_include_directories(rnnlab_student_cells PRIVATE ${CMAKE_SOURCE_DIR}/core/include ${CMAKE_SOURCE_DIR}/exercises)
  target_link_libraries(rnnlab_student_cells PRIVATE rnnlab_wasm_flags)
  target_sources(rnnlab_wasm PRIVATE $<TARGET_OBJECTS:rnnlab_student_cells>)
endif()
target_compile_definitions(rnnlab_wasm_flags INTERFACE
  RNL_NO_FILES)  # no files: the page and Node pass bytes (rnl_checkpoint_write/read, rnl_dataset_read, CSV text)
# The data layer is parsing and bookkeeping, not numeric loops: optimise it for size. -Os keeps the module
# under 200 KB (-O3: ~20 KB more), and the whole IMDB tar still goes through it in under a second in Node,
# less than inflating the archive takes.
set_source_files_properties(${RNL_WASM_DATA_SOURCES} PROPERTIES COMPILE_OPTIONS -Os)
# The seq2seq task generators and checkpoint code, and the model base (tensor table, work-memory layout,
# checkpoint blocks), are bookkeeping too: -Os. (seq2seq.c stays -O3: -O2 there saved 7 KB and cost a third
# of its training speed.)
set_source_files_properties(${CMAKE_SOURCE_DIR}/core/src/tasks_seq2seq.c ${CMAKE_SOURCE_DIR}/core/src/s2s_checkpoint.c
  ${CMAKE_SOURCE_DIR}/core/src/checkpoint.c ${CMAKE_SOURCE_DIR}/core/src/model_base.c
  ${CMAKE_SOURCE_DIR}/core/src/tf_checkpoint.c ${CMAKE_SOURCE_DIR}/web/wasm_transformer.c PROPERTIES COMPILE_OPTIONS -Os)
# The inspection views (one review, one word map at a time, in double: core/src/inspect.c, run_inspect.c and
# their adapter) run once per click, not per training step: -Os. They add 18 KB to the module (-O3: 36 KB).
set_source_files_properties(${CMAKE_SOURCE_DIR}/core/src/inspect.c ${CMAKE_SOURCE_DIR}/core/src/run_inspect.c
  ${CMAKE_SOURCE_DIR}/web/wasm_inspect.c PROPERTIES COMPILE_OPTIONS -Os)
target_compile_options(rnnlab_wasm_flags INTERFACE
  -O3           # speed first: the module is small anyway, and training is all loops
  # 128-bit SIMD: compiles the wasmsimd gemms of kernels_wasm.c (__wasm_simd128__; kernels.c then lists
  # them) and lets clang vectorise the element-wise loops. Every current browser and Node >= 16 run it.
  # Not -mrelaxed-simd here: emcc 3.1.6 (clang 14) writes the pre-standard relaxed opcodes, which current
  # engines reject; the relaxed module below compiles its kernels with clang >= 16.
  -msimd128)

# The link flags every module shares (RNL_WASM_BASE_LINK_FLAGS), and with the export list those of the
# plain and relaxed modules (RNL_WASM_LINK_FLAGS).
set(RNL_WASM_BASE_LINK_FLAGS
  --no-entry               # a library: no main(); exported functions are called from JavaScript
  -sSTANDALONE_WASM        # no Emscripten JS glue: imports only what the module needs, given by rnnlab.js
  -sALLOW_MEMORY_GROWTH=1  # models and batches are sized at run time; rnnlab.js re-makes its views
  -sINITIAL_MEMORY=16MB    # a teaching-size model (hidden 128, batch 32, 50 steps) fits without growing
  -sTOTAL_STACK=1MB        # the core keeps big buffers on the heap; the gemms pack small panels on the stack
  -sMALLOC=emmalloc        # smaller than dlmalloc; allocation is not hot (work memory is reused per model)
  -sSUPPORT_LONGJMP=0      # nothing uses setjmp/longjmp: no exception-emulation code
  --profiling-funcs        # keep function names (~4 KB): a trap's stack and `node --cpu-prof` name C functions
  -msimd128)               # lets wasm-opt keep and emit SIMD at link time
set(RNL_WASM_LINK_FLAGS ${RNL_WASM_BASE_LINK_FLAGS}
  "-sEXPORTED_FUNCTIONS=${RNL_WASM_EXPORTS_CSV}")  # web/lib/exports.js; everything else is dead-stripped
target_link_options(rnnlab_wasm PRIVATE
  -O3                      # runs wasm-opt -O3 over the linked module
  ${RNL_WASM_LINK_FLAGS})
set_property(TARGET rnnlab_wasm APPEND PROPERTY LINK_DEPENDS ${RNL_WASM_EXPORTS_FILE})

# web/rnnlab.wasm, beside rnnlab.js, which loads it from there by default (gitignored: a build product).
# A student build goes to web/student/rnnlab.wasm (gitignored too), which the page loads with ?impl=student.
if(RNL_WASM_COPY_TO)
  get_filename_component(rnl_copy_dir "${RNL_WASM_COPY_TO}" DIRECTORY)
  add_custom_command(TARGET rnnlab_wasm POST_BUILD
    COMMAND ${CMAKE_COMMAND} -E make_directory ${rnl_copy_dir}
    COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:rnnlab_wasm> ${RNL_WASM_COPY_TO}
    COMMENT "Copying ${RNL_WASM_NAME}.wasm to ${RNL_WASM_COPY_TO}")
endif()

# --- The relaxed-SIMD module: web/rnnlab-relaxed.wasm ------------------------------------------------

# The same module with one more kernel set, "wasmrelaxed" (kernels_wasm_relaxed.c: kernels_wasm.c's tiles
# with f32x4.relaxed_madd), which it then runs. web/lib/loader.js takes it where WebAssembly.validate
# accepts relaxed SIMD (current Chromium), and web/rnnlab.wasm everywhere else (Node 20 without
# --experimental-wasm-relaxed-simd, Firefox, Safari). Its results may differ from the plain module's in the
# last bits (fused or not: the engine chooses), so tests that compare WASM and native bytes use the plain one.
#
# emcc 3.1.6's clang 14 writes the pre-standard opcode (0xfd 0xaf 0x01), which current engines refuse, so
# the relaxed kernels alone are compiled by clang >= 16 (standard: 0xfd 0x85 0x02) with emcc's own compile
# flags (emcc --cflags: target, sysroot, Emscripten's defines and LLVM options), and linked by emcc with the
# rest. Two link flags differ: binaryen 108 (wasm-opt, wasm-emscripten-finalize) cannot parse the standard
# opcodes, so -O1 runs no wasm-opt pass (LLVM's -O3 did the work: the plain module linked this way trains
# within 2% of the -O3 link), and -sWASM_BIGINT spares finalize from rewriting the module (without it,
# finalize adds i64 call helpers the standalone module never needs). tests/js/load.test.mjs checks the
# opcodes. Without clang >= 16 the build says so and makes the plain module only; the loader falls back.
if(NOT RNL_CELL_MATH)
  find_program(RNL_CLANG_RELAXED NAMES clang-16 clang-17 clang-18 clang-19
    DOC "clang >= 16 for web/rnnlab-relaxed.wasm's kernels (Debian 12: apt-get install clang-16 lld-16)")
  if(RNL_CLANG_RELAXED)
    execute_process(COMMAND ${CMAKE_C_COMPILER} --cflags OUTPUT_VARIABLE rnl_emcc_cflags OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE rnl_emcc_rc)
    if(NOT rnl_emcc_rc EQUAL 0)
      message(FATAL_ERROR "'${CMAKE_C_COMPILER} --cflags' failed: cannot compile the relaxed kernels with emcc's flags")
    endif()
    separate_arguments(rnl_emcc_cflags UNIX_COMMAND "${rnl_emcc_cflags}")
    set(rnl_relaxed_obj ${CMAKE_CURRENT_BINARY_DIR}/kernels_wasm_relaxed.o)
    add_custom_command(OUTPUT ${rnl_relaxed_obj}
      COMMAND ${RNL_CLANG_RELAXED} ${rnl_emcc_cflags} -std=c11 -O3 -DNDEBUG -DRNL_NO_FILES
        -msimd128 -mrelaxed-simd -I${CMAKE_SOURCE_DIR}/core/include -I${CMAKE_SOURCE_DIR}/core/src
        -c ${rnl_relaxed_kernels} -o ${rnl_relaxed_obj}
      DEPENDS ${rnl_relaxed_kernels} ${CMAKE_SOURCE_DIR}/core/src/kernels_wasm.c ${CMAKE_SOURCE_DIR}/core/src/kernels.h
        ${CMAKE_SOURCE_DIR}/core/include/rnnlab.h
      COMMENT "Compiling the relaxed-SIMD kernels with ${RNL_CLANG_RELAXED}" VERBATIM)
    add_executable(rnnlab_wasm_relaxed ${rnl_kernel_table} $<TARGET_OBJECTS:rnnlab_wasm_objects> ${rnl_relaxed_obj})
    set_target_properties(rnnlab_wasm_relaxed PROPERTIES OUTPUT_NAME rnnlab-relaxed SUFFIX ".wasm")
    target_link_libraries(rnnlab_wasm_relaxed PRIVATE rnnlab_wasm_flags)
    target_include_directories(rnnlab_wasm_relaxed PRIVATE ${CMAKE_SOURCE_DIR}/core/include ${CMAKE_SOURCE_DIR}/core/src)
    target_compile_definitions(rnnlab_wasm_relaxed PRIVATE RNL_KERNELS_WASM_RELAXED)  # kernels.c lists wasmrelaxed
    target_link_options(rnnlab_wasm_relaxed PRIVATE
      -O1             # after the -O3 of the release flags: no wasm-opt pass (binaryen 108 cannot read the opcodes)
      -sWASM_BIGINT   # finalize only reads the module (see above)
      ${RNL_WASM_LINK_FLAGS})
    set_property(TARGET rnnlab_wasm_relaxed APPEND PROPERTY LINK_DEPENDS ${RNL_WASM_EXPORTS_FILE})
    if(RNL_WASM_COPY_TO)
      get_filename_component(rnl_copy_dir "${RNL_WASM_COPY_TO}" DIRECTORY)
      add_custom_command(TARGET rnnlab_wasm_relaxed POST_BUILD
        COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:rnnlab_wasm_relaxed> ${rnl_copy_dir}/rnnlab-relaxed.wasm
        COMMENT "Copying rnnlab-relaxed.wasm to ${rnl_copy_dir}")
    endif()
  else()
    message(STATUS "No clang >= 16 found: building web/rnnlab.wasm only, without web/rnnlab-relaxed.wasm "
      "(Debian 12: apt-get install clang-16 lld-16); the loader then uses the plain module everywhere")
  endif()
endif()

# --- The shared-memory modules: web/rnnlab-shared.wasm, web/rnnlab-relaxed-shared.wasm -----------------

# The same modules over a shared, imported memory, whose threads are Worker instances of the module running
# the core's own pool (core/src/threads.c, "WebAssembly threads"; web/lib/shared.js starts them). The loader
# takes them where the memory can be shared: a cross-origin-isolated page's Worker, or shared: true.
#
# emcc 3.1.6 refuses -pthread with STANDALONE_WASM and has no -sSHARED_MEMORY, so the parts are asked for
# one by one: every object compiled with atomics and bulk memory (a second object library: the plain
# module's objects must not carry them), and the linker told to share and import the memory. The libc stays
# the one without threads: threads.c puts a lock around its allocator and gives each Worker a stack and a
# thread-local block. The plain and relaxed flavours share these objects as the plain pair shares its own.
if(NOT RNL_CELL_MATH)
  set(RNL_WASM_SHARED_FLAGS
    -matomics       # atomic loads, compare-and-swap, memory.atomic.wait32/notify (threads.c); _Thread_local
                    # becomes real thread-local storage (error.c's last message, one per thread)
    -mbulk-memory)  # the linker's once-only data initialisation of a shared memory (memory.init, data.drop)
  add_library(rnnlab_wasm_objects_shared OBJECT ${RNL_WASM_CORE_SOURCES} ${RNL_WASM_DATA_SOURCES} ${RNL_WASM_ADAPTER_SOURCES})
  target_link_libraries(rnnlab_wasm_objects_shared PRIVATE rnnlab_wasm_flags)
  target_include_directories(rnnlab_wasm_objects_shared PRIVATE ${CMAKE_SOURCE_DIR}/core/include ${CMAKE_SOURCE_DIR}/core/src)
  target_compile_options(rnnlab_wasm_objects_shared PRIVATE ${RNL_WASM_SHARED_FLAGS})
  set(RNL_WASM_SHARED_LINK_FLAGS ${RNL_WASM_BASE_LINK_FLAGS} ${RNL_WASM_SHARED_FLAGS}
    # The export list, plus the runtime's stackRestore: a Worker instance sets its own stack pointer with it
    # before it runs any C (every instance's __stack_pointer starts at the owner's stack).
    "-sEXPORTED_FUNCTIONS=${RNL_WASM_EXPORTS_CSV},stackRestore"
    -Wl,--shared-memory     # a shared memory, declared with its maximum ...
    -Wl,--import-memory     # ... and imported: the loader makes it, and every Worker instance gets the same one
    -sMAXIMUM_MEMORY=2GB)   # a shared memory cannot move, so it has a maximum (the plain module's default)
  set(rnl_shared_targets rnnlab_wasm_shared)
  add_executable(rnnlab_wasm_shared ${rnl_kernel_table} $<TARGET_OBJECTS:rnnlab_wasm_objects_shared>)
  set_target_properties(rnnlab_wasm_shared PROPERTIES OUTPUT_NAME rnnlab-shared SUFFIX ".wasm")
  target_compile_options(rnnlab_wasm_shared PRIVATE ${RNL_WASM_SHARED_FLAGS})
  target_link_options(rnnlab_wasm_shared PRIVATE -O3 ${RNL_WASM_SHARED_LINK_FLAGS})
  if(RNL_CLANG_RELAXED)
    # The relaxed kernels once more, by clang >= 16 with the same two flags (see the relaxed module above).
    set(rnl_relaxed_shared_obj ${CMAKE_CURRENT_BINARY_DIR}/kernels_wasm_relaxed_shared.o)
    add_custom_command(OUTPUT ${rnl_relaxed_shared_obj}
      COMMAND ${RNL_CLANG_RELAXED} ${rnl_emcc_cflags} -std=c11 -O3 -DNDEBUG -DRNL_NO_FILES
        -msimd128 -mrelaxed-simd ${RNL_WASM_SHARED_FLAGS} -I${CMAKE_SOURCE_DIR}/core/include -I${CMAKE_SOURCE_DIR}/core/src
        -c ${rnl_relaxed_kernels} -o ${rnl_relaxed_shared_obj}
      DEPENDS ${rnl_relaxed_kernels} ${CMAKE_SOURCE_DIR}/core/src/kernels_wasm.c ${CMAKE_SOURCE_DIR}/core/src/kernels.h
        ${CMAKE_SOURCE_DIR}/core/include/rnnlab.h
      COMMENT "Compiling the relaxed-SIMD kernels with ${RNL_CLANG_RELAXED} for the shared module" VERBATIM)
    add_executable(rnnlab_wasm_relaxed_shared ${rnl_kernel_table} $<TARGET_OBJECTS:rnnlab_wasm_objects_shared> ${rnl_relaxed_shared_obj})
    set_target_properties(rnnlab_wasm_relaxed_shared PROPERTIES OUTPUT_NAME rnnlab-relaxed-shared SUFFIX ".wasm")
    target_compile_definitions(rnnlab_wasm_relaxed_shared PRIVATE RNL_KERNELS_WASM_RELAXED)
    target_compile_options(rnnlab_wasm_relaxed_shared PRIVATE ${RNL_WASM_SHARED_FLAGS})
    target_link_options(rnnlab_wasm_relaxed_shared PRIVATE -O1 -sWASM_BIGINT ${RNL_WASM_SHARED_LINK_FLAGS})
    list(APPEND rnl_shared_targets rnnlab_wasm_relaxed_shared)
  endif()
  foreach(t IN LISTS rnl_shared_targets)
    target_link_libraries(${t} PRIVATE rnnlab_wasm_flags)
    target_include_directories(${t} PRIVATE ${CMAKE_SOURCE_DIR}/core/include ${CMAKE_SOURCE_DIR}/core/src)
    set_property(TARGET ${t} APPEND PROPERTY LINK_DEPENDS ${RNL_WASM_EXPORTS_FILE})
    if(RNL_WASM_COPY_TO)
      get_filename_component(rnl_copy_dir "${RNL_WASM_COPY_TO}" DIRECTORY)
      add_custom_command(TARGET ${t} POST_BUILD
        COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:${t}> ${rnl_copy_dir}/$<TARGET_FILE_NAME:${t}>
        COMMENT "Copying ${t} to ${rnl_copy_dir}")
    endif()
  endforeach()
endif()
