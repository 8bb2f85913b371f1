"""The report page's inline CSS: readable on a phone (stacked tables) and in print, no external files."""

from __future__ import annotations

CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;color:#1f2328;background:#fff;
 font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.7rem;line-height:1.2;margin:.2rem 0 .5rem}
h2{font-size:1.2rem;line-height:1.3;margin:0 0 .4rem}
h2 .id{color:#57606a;font-weight:400;font-size:.9rem;margin-right:.3rem}
section{border-top:1px solid #d0d7de;padding:1.2rem 0}
p{margin:.3rem 0}
.kicker{color:#57606a;text-transform:uppercase;letter-spacing:.05em;font-size:.8rem;margin:0}
.src{color:#57606a;font-size:.85em}
span.src{white-space:nowrap}
.note{background:#f6f8fa;border-left:4px solid #8a8a8a;padding:.5rem .75rem}
.prel,.old,.vintage{border:1px solid #9a6700;color:#9a6700;border-radius:.5rem;padding:0 .4rem;
 font-size:.8rem}
.old{border-color:#a40e26;color:#a40e26} .vintage{border-color:#0b5cad;color:#0b5cad}
.chip{display:inline-block;min-width:3.2rem;text-align:center;border-radius:.7rem;padding:0 .5rem;
 color:#fff;font-weight:600;font-size:.85rem;white-space:nowrap;print-color-adjust:exact;-webkit-print-color-adjust:exact}
.chip.yellow{color:#1f2328}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:.5rem 0}
dl.facts dt{color:#57606a} dl.facts dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5rem 0}
th,td{text-align:left;padding:.3rem .4rem;border-bottom:1px solid #d0d7de;vertical-align:top;
 overflow-wrap:break-word;hyphens:auto}
th{font-weight:600;color:#57606a}
.num{text-align:right} td.num{white-space:nowrap}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,24rem),1fr));gap:1rem 1.5rem;
 margin-top:.8rem}
figure{margin:0;min-width:0}
figcaption{font-size:.9rem;color:#57606a;margin-bottom:.25rem}
figure svg{display:block;max-width:100%;height:auto}
nav ol{columns:2 18rem;padding-left:1.2rem;font-size:.9rem}
a{color:#0b5cad}
@media (max-width:36rem){
 main{padding:.6rem} h1{font-size:1.4rem} dl.facts{grid-template-columns:1fr}
 /* a phone: each table row becomes a block, the first cell a heading, the others labelled */
 table.stack thead{display:none}
 table.stack tr{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:0 .5rem;
  border-bottom:1px solid #d0d7de;padding:.3rem 0}
 table.stack td{border:0;padding:.1rem 0;text-align:left}
 table.stack td:first-child{grid-column:1/-1;font-weight:600}
 table.stack td+td::before{content:attr(data-label);display:block;color:#57606a;font-size:.75rem}
}
@media print{
 @page{margin:15mm}
 body{font-size:10pt}
 main{max-width:none;padding:0}
 nav{display:none}
 a{color:inherit;text-decoration:none}
 section{break-inside:auto}
 figure,table,h2{break-inside:avoid}
 h2{break-after:avoid}
 .charts{grid-template-columns:repeat(2,minmax(0,1fr))}
}
"""
