/** The hardware page's entry in the navigation and in the RouteModule. */
export const DASHBOARD = { title: 'Hardware', path: '/ui/machines' };
