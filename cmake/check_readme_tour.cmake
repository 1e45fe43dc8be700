# Fails when README.md does not contain each compiled tour file verbatim.
file(READ ${README} readme)
foreach(source IN LISTS SOURCES)
  file(READ ${source} text)
  string(FIND "${readme}" "${text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "README.md does not contain ${source} verbatim: update the tour")
  endif()
endforeach()
