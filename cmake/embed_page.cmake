# Writes OUT: the report page's template, script and style (PAGE/report.{html,js,css}) as
# C++ raw string literals kReportHtml, kReportJs, kReportCss.
set(body "// Generated from libs/report/src/page/ by cmake/embed_page.cmake. Do not edit.\n#pragma once\n")
foreach(pair "Html;report.html" "Js;report.js" "Css;report.css")
  list(GET pair 0 name)
  list(GET pair 1 file)
  file(READ ${PAGE}/${file} text)
  string(FIND "${text}" ")MIMICRYPAGE\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${file} contains the raw-string delimiter")
  endif()
  string(APPEND body "inline constexpr const char* kReport${name} = R\"MIMICRYPAGE(${text})MIMICRYPAGE\";\n")
endforeach()
file(WRITE ${OUT} "${body}")
