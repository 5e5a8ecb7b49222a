// The page's scripts share one global scope (they are inlined one after the other): the data types
// they read, from the module that shapes them.
type ChartData = import('../../src/report/html/shape.js').ChartData;
type MarkSeries = import('../../src/report/html/shape.js').MarkSeries;
type RowGroup = import('../../src/report/html/shape.js').RowGroup;
