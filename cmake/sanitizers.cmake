# PA_SANITIZE="address;undefined" or "thread": applied to every target in the tree.
if(PA_SANITIZE)
  string(REPLACE ";" "," _san "${PA_SANITIZE}")
  add_compile_options(-fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${_san})
endif()
