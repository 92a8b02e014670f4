import CNCCore
