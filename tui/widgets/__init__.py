"""Widgets of the main screen: the photo table, the action filter, the detail pane and
the run panel, put together per platform by `PlatformView`."""
