"""The 增存挂钩 (increase-stock linkage) campaign of 驻政办〔2018〕163号.

:mod:`~landuse.campaigns.zengcun.assessment` measures the tasks and judges them;
:mod:`~landuse.campaigns.zengcun.progress` gives the rates at each quarter end.
"""
