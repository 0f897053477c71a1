# Project warnings (style guide 2.8). -Wconversion applies to core/ only for now.
set(PA_WARNINGS -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
    -Wformat=2 -Wno-format-nonliteral)
if(PA_WERROR)
  list(APPEND PA_WARNINGS -Werror)
endif()
function(pa_target_warnings tgt)
  target_compile_options(${tgt} PRIVATE ${PA_WARNINGS})
endfunction()
