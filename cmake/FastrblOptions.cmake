# Compiler settings shared by every fastrbl target.

# fastrbl_target(<target>): our warning set (STYLE.md 38), errors under FASTRBL_WERROR.
function(fastrbl_target target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wold-style-cast -Werror=vla -Wnon-virtual-dtor)
  if(FASTRBL_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
    # GCC 12 at -O2 reports out-of-bounds accesses inside libstdc++ containers that cannot
    # happen (GCC bugs 105705, 106199 and relatives). They stay visible as warnings.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12)
      target_compile_options(${target} PRIVATE -Wno-error=array-bounds -Wno-error=stringop-overflow
                                               -Wno-error=stringop-overread -Wno-error=restrict)
    endif()
  endif()
endfunction()

if(FASTRBL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

if(FASTRBL_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "FASTRBL_FUZZ needs clang (use the 'fuzz' preset)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# Link only the shared libraries an executable uses. The daemon links the feed code for
# pushed updates, but not its fetcher: without this, libcurl and the TLS, Kerberos and LDAP
# libraries under it are loaded at every start (about 8 MB of RSS and tens of ms of start-up,
# bench/README.md).
add_link_options(LINKER:--as-needed)
